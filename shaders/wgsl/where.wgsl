// where(cond, x, y) with NumPy broadcasting of all three; cond is a bool tensor (u32 0/1).
// params: [n, rank, dims(rank), cond_strides(rank), x_strides(rank), y_strides(rank)]

override WG: u32 = 256u;
override FLAT: bool = false;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> cond: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<T>;
@group(0) @binding(3) var<storage, read> y: array<T>;
@group(0) @binding(4) var<storage, read_write> out: array<T>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let rank = params[1];
    let c = cond[operand_index(i, rank, 1u, FLAT)];
    let u = x[operand_index(i, rank, 2u, FLAT)];
    let v = y[operand_index(i, rank, 3u, FLAT)];
    out[i] = select(v, u, c != 0u);
}
