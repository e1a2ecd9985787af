// Elementwise functions of one integer operand that keep the integer dtype. OP uses the codes
// of unary_float.wgsl. params: [n, offset]

override OP: u32 = 0u;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;

fn apply(v: T) -> T {
    return unary_int_T(OP, v);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    y[i] = apply(x[i]);
}
