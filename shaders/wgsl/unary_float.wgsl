// Elementwise functions of one float operand. OP picks the function (codes in
// runtime/src/ops/unary.rs); math is done in f32 and rounded to T.
// params: [n, offset, extra0, extra1, extra2]

override OP: u32 = 0u;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;
@group(0) @binding(2) var<storage, read_write> flags: array<u32>;

fn erf_f32(v: f32) -> f32 {
    // Numerical Recipes erfc by Chebyshev fit, fractional error below 1.2e-7.
    let z = abs(v);
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
        t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
        t * (-0.82215223 + t * 0.17087277)))))))));
    let e = 1.0 - r;
    return select(-e, e, v >= 0.0);
}

fn expm1_f32(v: f32) -> f32 {
    if (abs(v) < 1e-5) {
        return v + 0.5 * v * v;
    }
    return exp(v) - 1.0;
}

fn log1p_f32(v: f32) -> f32 {
    let u = 1.0 + v;
    if (u == 1.0) {
        return v;
    }
    return log(u) * v / (u - 1.0);
}

fn is_nan_f32(v: f32) -> bool {
    let b = bitcast<u32>(v);
    return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}

fn is_inf_f32(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

fn apply(v: f32) -> f32 {
    switch OP {
        case 0u: { return -v; }
        case 1u: { return abs(v); }
        case 2u: { if (is_nan_f32(v)) { return v; } return sign(v); }
        case 3u: { return exp(v); }
        case 4u: { return expm1_f32(v); }
        case 5u: { return log(v); }
        case 6u: { return log1p_f32(v); }
        case 7u: { return sqrt(v); }
        case 8u: { return inverseSqrt(v); }
        case 9u: { return v * v; }
        case 10u: { return 1.0 / v; }
        case 11u: { return sin(v); }
        case 12u: { return cos(v); }
        case 13u: { return tan(v); }
        case 14u: { return tanh(v); }
        case 15u: {
            if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
            let e = exp(v);
            return e / (1.0 + e);
        }
        case 16u: { return select(max(v, 0.0), v, is_nan_f32(v)); }
        case 17u: { return max(v, 0.0) + log1p_f32(exp(-abs(v))); }
        case 18u: { return erf_f32(v); }
        case 19u: { return floor(v); }
        case 20u: { return ceil(v); }
        case 21u: { return round(v); }
        case 22u: {
            if (is_nan_f32(v)) { return bitcast<f32>(params[2]); }
            if (is_inf_f32(v)) { return select(bitcast<f32>(params[4]), bitcast<f32>(params[3]), v > 0.0); }
            return v;
        }
        default: { return v; }
    }
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
