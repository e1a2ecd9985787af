// Converts T to O elementwise. TO_BOOL writes 0/1 (bools are u32 on the GPU); float to integer
// truncates toward zero. params: [n]

override TO_BOOL: bool = false;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<O>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let v = x[i];
    if (TO_BOOL) {
        y[i] = select(O(0), O(1), v != T(0));
    } else {
        y[i] = O(v);
    }
}
