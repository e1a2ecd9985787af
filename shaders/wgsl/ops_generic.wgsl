// The elementwise formulas that work in the element type T itself (shared by unary_int.wgsl,
// binary.wgsl, compare.wgsl and the generated fused kernels). Written once over the alias T;
// a fused kernel instantiates it per type with wgkeras_shaders::generic_ops, which renames
// `T` and every `*_T` function to the concrete type (`binary_T` -> `binary_i32`).

// Integer unary functions keeping the dtype; op codes as in unary_float (others: identity).
fn unary_int_T(op: u32, v: T) -> T {
    let zero = T(0);
    let one = T(1);
    switch op {
        case 0u: { return zero - v; }
        case 1u: { return select(v, zero - v, v < zero); }
        case 2u: { return select(select(zero, one, v > zero), zero - one, v < zero); }
        case 9u: { return v * v; }
        case 16u: { return max(v, zero); }
        default: { return v; }
    }
}

// Integer power as JAX computes it: negative exponents give 0 except for bases 1 and -1.
fn int_power_T(u: T, v: T) -> T {
    let one = T(1);
    if (v < T(0)) {
        if (u == one) { return one; }
        if (u == T(0) - one) { return select(u, one, (i32(v) & 1) == 0); }
        return T(0);
    }
    var base = u;
    var e = u32(v);
    var acc = one;
    while (e > 0u) {
        if ((e & 1u) == 1u) { acc = acc * base; }
        base = base * base;
        e = e >> 1u;
    }
    return acc;
}

// 0 add, 1 subtract, 2 multiply, 3 maximum, 4 minimum, 5 integer power.
fn binary_T(op: u32, u: T, v: T) -> T {
    switch op {
        case 0u: { return u + v; }
        case 1u: { return u - v; }
        case 2u: { return u * v; }
        case 3u: { return max(u, v); }
        case 4u: { return min(u, v); }
        case 5u: { return int_power_T(u, v); }
        default: { return u; }
    }
}

// 0 equal, 1 not_equal, 2 greater, 3 greater_equal, 4 less, 5 less_equal, 6 logical_and,
// 7 logical_or.
fn compare_T(op: u32, u: T, v: T) -> bool {
    switch op {
        case 0u: { return u == v; }
        case 1u: { return u != v; }
        case 2u: { return u > v; }
        case 3u: { return u >= v; }
        case 4u: { return u < v; }
        case 5u: { return u <= v; }
        case 6u: { return u != T(0) && v != T(0); }
        case 7u: { return u != T(0) || v != T(0); }
        default: { return false; }
    }
}
