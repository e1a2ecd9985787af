// Elementwise float functions of two operands with NumPy broadcasting, computed in f32.
// OP: 0 divide, 1 power, 2 maximum (NaN-propagating), 3 minimum (NaN-propagating).
// params: [n, rank, dims(rank), a_strides(rank), b_strides(rank)]

override OP: u32 = 0u;
override WG: u32 = 256u;
override FLAT: bool = false;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> y: array<T>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let rank = params[1];
    let u = f32(a[operand_index(i, rank, 1u, FLAT)]);
    let v = f32(b[operand_index(i, rank, 2u, FLAT)]);
    let r = binary_float(OP, u, v);
    y[i] = T(r);
}
