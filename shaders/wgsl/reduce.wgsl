// Row reductions: each segment of a row (a whole row, or a slice of a long row in the first
// pass of the two-pass scheme) is reduced by TPR threads with a workgroup tree; a workgroup
// of 256 threads holds 256 / TPR segments. Elements are read as T and combined as A.
// OP: 0 sum, 1 prod, 2 max, 3 min (NaN propagates), 4 argmax, 5 argmin (first NaN, else the
// first extreme; -0.0 ranks below +0.0 as Keras does on CPU).
// params: [segs, seg_len, row_len, segs_per_row, x_base, out_base, identity bits (as A)]
// Segment s covers row s / segs_per_row, positions [p * seg_len, min(row_len, (p+1) * seg_len))
// with p = s % segs_per_row; arg kernels report positions within the row.

override OP: u32 = 0u;
override TPR: u32 = 256u;
const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<A>;
@group(0) @binding(3) var<storage, read_write> out_idx: array<u32>;
@group(0) @binding(4) var<storage, read> in_idx: array<u32>;

var<workgroup> sv: array<A, 256>;
var<workgroup> si: array<u32, 256>;

fn nan_a(v: A) -> bool {
    let b = bitcast<u32>(f32(v));
    return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}

fn combine(a: A, b: A) -> A {
    switch OP {
        case 0u: { return a + b; }
        case 1u: { return a * b; }
        case 2u: {
            if (nan_a(a)) { return a; }
            if (nan_a(b)) { return b; }
            return max(a, b);
        }
        case 3u: {
            if (nan_a(a)) { return a; }
            if (nan_a(b)) { return b; }
            return min(a, b);
        }
        default: { return a; }
    }
}

// Whether (b, ib) should replace (a, ia) as the arg-extreme so far.
fn arg_better(a: A, ia: u32, b: A, ib: u32) -> bool {
    let na = nan_a(a);
    let nb = nan_a(b);
    if (na || nb) {
        if (na && nb) { return ib < ia; }
        return nb;
    }
    if (b == a) {
        let sa = bitcast<u32>(f32(a)) >> 31u;
        let sb = bitcast<u32>(f32(b)) >> 31u;
        if (sa != sb) {
            // Only zeros of different signs compare equal with different sign bits.
            if (OP == 4u) { return sb == 0u; }
            return sb == 1u;
        }
        return ib < ia;
    }
    if (OP == 4u) { return b > a; }
    return b < a;
}

struct Seg {
    s: u32,
    t: u32,
    valid: bool,
    base: u32,
    start: u32,
    end: u32,
}

fn segment(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> Seg {
    let segs = params[0];
    let seg_len = params[1];
    let row_len = params[2];
    let spr = params[3];
    let group = wid.y * nwg.x + wid.x;
    var g: Seg;
    g.t = lid % TPR;
    g.s = group * (WG / TPR) + lid / TPR;
    g.valid = g.s < segs;
    let row = g.s / spr;
    g.start = (g.s % spr) * seg_len;
    g.end = min(row_len, g.start + seg_len);
    g.base = params[4] + row * row_len;
    return g;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = segment(wid, nwg, lid.x);
    var acc = bitcast<A>(params[6]);
    if (g.valid) {
        for (var i = g.start + g.t; i < g.end; i = i + TPR) {
            acc = combine(acc, A(x[g.base + i]));
        }
    }
    sv[lid.x] = acc;
    workgroupBarrier();
    for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
        if (g.t < stride) {
            sv[lid.x] = combine(sv[lid.x], sv[lid.x + stride]);
        }
        workgroupBarrier();
    }
    if (g.t == 0u && g.valid) {
        out[params[5] + g.s] = sv[lid.x];
    }
}

fn arg_tree(lid: u32, g: Seg, v: A, iv: u32) {
    sv[lid] = v;
    si[lid] = iv;
    workgroupBarrier();
    for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
        if (g.t < stride) {
            let ob = sv[lid + stride];
            let oi = si[lid + stride];
            if (arg_better(sv[lid], si[lid], ob, oi)) {
                sv[lid] = ob;
                si[lid] = oi;
            }
        }
        workgroupBarrier();
    }
    if (g.t == 0u && g.valid) {
        out[params[5] + g.s] = sv[lid];
        out_idx[params[5] + g.s] = si[lid];
    }
}

// First pass of argmax/argmin: indices are the positions in the row.
@compute @workgroup_size(256)
fn arg_main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = segment(wid, nwg, lid.x);
    var v = bitcast<A>(params[6]);
    var iv = 0xffffffffu;
    if (g.valid) {
        for (var i = g.start + g.t; i < g.end; i = i + TPR) {
            let b = A(x[g.base + i]);
            if (arg_better(v, iv, b, i)) {
                v = b;
                iv = i;
            }
        }
    }
    arg_tree(lid.x, g, v, iv);
}

// Second pass of argmax/argmin: values with their row positions from the first pass.
@compute @workgroup_size(256)
fn arg_idx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = segment(wid, nwg, lid.x);
    var v = bitcast<A>(params[6]);
    var iv = 0xffffffffu;
    if (g.valid) {
        for (var i = g.start + g.t; i < g.end; i = i + TPR) {
            let b = A(x[g.base + i]);
            let ib = in_idx[g.base + i];
            if (arg_better(v, iv, b, ib)) {
                v = b;
                iv = ib;
            }
        }
    }
    arg_tree(lid.x, g, v, iv);
}
