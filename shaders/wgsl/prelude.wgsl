// Shared by every kernel (appended by wgkeras_shaders::specialize).

// One thread index from a possibly 2-D grid of 1-D workgroups of `wg` threads.
fn flat_id(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, wg: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * wg + lid.x;
}

// Element index into an operand for output element `i`: the output's dims are params[dims_at ..
// dims_at + rank], the operand's strides (0 along broadcast dims) params[strides_at ..].
fn broadcast_index(i: u32, rank: u32, dims_at: u32, strides_at: u32) -> u32 {
    var rem = i;
    var idx = 0u;
    for (var d = i32(rank) - 1; d >= 0; d = d - 1) {
        let dim = params[dims_at + u32(d)];
        idx = idx + (rem % dim) * params[strides_at + u32(d)];
        rem = rem / dim;
    }
    return idx;
}

// Element index of operand `k` (1-based: its strides follow the dims and the strides of the
// operands before it) for output element `i`. `flat` (every operand contiguous or a broadcast
// scalar after dims were merged) skips the div/mod walk: the index is `i * stride`.
fn operand_index(i: u32, rank: u32, k: u32, flat: bool) -> u32 {
    if (flat) {
        return i * params[2u + k * rank];
    }
    return broadcast_index(i, rank, 2u, 2u + k * rank);
}
