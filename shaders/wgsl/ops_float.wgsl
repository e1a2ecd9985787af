// The float formulas of the elementwise ops, computed in f32 (shared by unary_float.wgsl,
// binary_float.wgsl and the generated fused kernels of runtime/src/ops/fused.rs).

fn nan_f32() -> f32 {
    return bitcast<f32>(0x7fc00000u);
}

fn is_nan_f32(v: f32) -> bool {
    let b = bitcast<u32>(v);
    return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}

fn is_inf_f32(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

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

// exp(v) - 1 without the cancellation near 0: a Taylor polynomial below |v| = 0.5 (its
// truncation error is under 1e-8 relative there), exp(v) - 1 above.
fn expm1_f32(v: f32) -> f32 {
    if (abs(v) < 0.5) {
        return v * (1.0 + v * (0.5 + v * (1.0 / 6.0 + v * (1.0 / 24.0 + v * (1.0 / 120.0 + v * (1.0 / 720.0
            + v * (1.0 / 5040.0 + v * (1.0 / 40320.0))))))));
    }
    return exp(v) - 1.0;
}

// tanh through expm1, so it keeps its relative precision near 0 (WGSL's built-in tanh may be off by
// a few 1e-8 absolute there); |v| > 9 rounds to +-1 in f32.
fn tanh_f32(v: f32) -> f32 {
    if (is_nan_f32(v)) { return v; }
    let a = abs(v);
    if (a > 9.0) { return sign(v); }
    let t = expm1_f32(2.0 * a);
    return sign(v) * (t / (t + 2.0));
}

fn log1p_f32(v: f32) -> f32 {
    let u = 1.0 + v;
    if (u == 1.0) {
        return v;
    }
    return log(u) * v / (u - 1.0);
}

// NumPy's power: a negative base is allowed with an integral exponent.
fn power_f32(u: f32, v: f32) -> f32 {
    if (v == 0.0) { return 1.0; }
    if (is_nan_f32(u) || is_nan_f32(v)) { return nan_f32(); }
    if (u == 0.0) {
        if (v < 0.0) { return bitcast<f32>(0x7f800000u); }
        return 0.0;
    }
    if (u > 0.0) { return exp2(v * log2(u)); }
    if (v != floor(v)) { return nan_f32(); }
    let m = exp2(v * log2(-u));
    let odd = abs(v) < 16777216.0 && (i32(v) & 1) == 1;
    return select(m, -m, odd);
}

// The unary functions; op codes are UnaryOp's discriminants (runtime/src/ops/unary.rs).
fn unary_float(op: u32, v: f32) -> f32 {
    switch op {
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
        case 14u: { return tanh_f32(v); }
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
        default: { return v; }
    }
}

// The float-only binary functions: 0 divide, 1 power, 2 maximum, 3 minimum (NaN-propagating).
fn binary_float(op: u32, u: f32, v: f32) -> f32 {
    switch op {
        case 0u: { return u / v; }
        case 1u: { return power_f32(u, v); }
        case 2u: { return select(max(u, v), nan_f32(), is_nan_f32(u) || is_nan_f32(v)); }
        case 3u: { return select(min(u, v), nan_f32(), is_nan_f32(u) || is_nan_f32(v)); }
        default: { return u; }
    }
}
