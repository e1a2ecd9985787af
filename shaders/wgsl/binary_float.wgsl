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

fn nan_f32() -> f32 {
    return bitcast<f32>(0x7fc00000u);
}

fn is_nan_f32(v: f32) -> bool {
    let bits = bitcast<u32>(v);
    return (bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0u;
}

// NumPy's power: a negative base is allowed with an integral exponent.
fn power(u: f32, v: f32) -> f32 {
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
    var r: f32;
    switch OP {
        case 0u: { r = u / v; }
        case 1u: { r = power(u, v); }
        case 2u: { r = select(max(u, v), nan_f32(), is_nan_f32(u) || is_nan_f32(v)); }
        case 3u: { r = select(min(u, v), nan_f32(), is_nan_f32(u) || is_nan_f32(v)); }
        default: { r = u; }
    }
    y[i] = T(r);
}
