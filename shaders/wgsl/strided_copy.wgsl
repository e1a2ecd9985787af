// out[out_offset + sum_d c_d * out_stride_d] = x[x_offset + sum_d c_d * x_stride_d] for every
// coordinate c of the iteration dims. Strides are i32 (negative for flips). This one kernel is
// transpose, slice, slice_update, concatenate, broadcast_to, tile, repeat, flip and pad.
// params: [n, rank, x_offset, out_offset, dims(rank), x_strides(rank), out_strides(rank)]
//
// gather_axis: out[o, j, i] = x[o, idx[j], i] for an index list along one axis (repeat with
// per-element counts, pad modes edge/reflect/symmetric/wrap).
// params: [n, inner, len_out, len_src]; bindings x, out, idx (u32).

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;
@group(0) @binding(3) var<storage, read> idx: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let rank = params[1];
    var rem = i;
    var xi = bitcast<i32>(params[2]);
    var oi = bitcast<i32>(params[3]);
    for (var d = i32(rank) - 1; d >= 0; d = d - 1) {
        let dim = params[4u + u32(d)];
        let c = i32(rem % dim);
        rem = rem / dim;
        xi = xi + c * bitcast<i32>(params[4u + rank + u32(d)]);
        oi = oi + c * bitcast<i32>(params[4u + 2u * rank + u32(d)]);
    }
    out[u32(oi)] = x[u32(xi)];
}

@compute @workgroup_size(WG)
fn gather_axis(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let inner = params[1];
    let len_out = params[2];
    let len_src = params[3];
    let r = i % inner;
    let j = (i / inner) % len_out;
    let o = i / (inner * len_out);
    out[i] = x[(o * len_src + idx[j]) * inner + r];
}
