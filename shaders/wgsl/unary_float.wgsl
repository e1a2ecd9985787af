// Elementwise functions of one float operand. OP picks the function (codes in
// runtime/src/ops/unary.rs); math is done in f32 and rounded to T.
// params: [n, offset, extra0, extra1, extra2]

override OP: u32 = 0u;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;
@group(0) @binding(2) var<storage, read_write> flags: array<u32>;

// The function, computed in f32 (formulas in ops_float.wgsl); 22 is nan_to_num.
fn apply(v: f32) -> f32 {
    if (OP == 22u) {
        if (is_nan_f32(v)) { return bitcast<f32>(params[2]); }
        if (is_inf_f32(v)) { return select(bitcast<f32>(params[4]), bitcast<f32>(params[3]), v > 0.0); }
        return v;
    }
    return unary_float(OP, v);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    y[i] = T(apply(f32(x[i])));
}

// Classifies floats by their bits (compilers may fold `x != x`): OP 0 isnan, 1 isfinite.
// Writes bools as u32 0/1 into binding 2.
@compute @workgroup_size(WG)
fn classify(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let v = f32(x[i]);
    var r: bool;
    if (OP == 0u) {
        r = is_nan_f32(v);
    } else {
        r = !is_nan_f32(v) && !is_inf_f32(v);
    }
    flags[i] = select(0u, 1u, r);
}
