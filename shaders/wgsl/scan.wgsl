// Inclusive scans along rows of a [rows, row_len] tensor, read as T, combined as A, written
// as T. OP: 0 cumsum, 1 cumprod.
// params: [rows, row_len, x_base, out_base, identity bits (as A)]
// `main`: one workgroup per row; the row is walked in blocks of 256 * K elements: each thread
// scans its K consecutive elements, a workgroup Hillis-Steele scan combines the thread totals,
// and a carry moves on to the next block.
// `segmented`: long rows in segments, each with a carry from the scanned segment totals.
// `serial`: one thread per row, for short rows.

override OP: u32 = 0u;
const WG: u32 = 256u;
const K: u32 = 4u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;

@group(0) @binding(3) var<storage, read> carries: array<A>;

var<workgroup> sc: array<A, 256>;

fn combine(a: A, b: A) -> A {
    if (OP == 1u) {
        return a * b;
    }
    return a + b;
}

// Scans x[xb ..][0 .. len) into y[yb ..], starting from `carry_in`.
fn scan_range(lid: u32, xb: u32, yb: u32, len: u32, carry_in: A) {
    let ident = bitcast<A>(params[4]);
    var carry = carry_in;
    for (var start = 0u; start < len; start = start + WG * K) {
        let first = start + lid * K;
        var local: array<A, 4>;
        var run = ident;
        for (var k = 0u; k < K; k = k + 1u) {
            if (first + k < len) {
                run = combine(run, A(x[xb + first + k]));
            }
            local[k] = run;
        }
        sc[lid] = run;
        workgroupBarrier();
        for (var off = 1u; off < WG; off = off * 2u) {
            var v = sc[lid];
            if (lid >= off) {
                v = combine(sc[lid - off], v);
            }
            workgroupBarrier();
            sc[lid] = v;
            workgroupBarrier();
        }
        var prefix = carry;
        if (lid > 0u) {
            prefix = combine(carry, sc[lid - 1u]);
        }
        for (var k = 0u; k < K; k = k + 1u) {
            if (first + k < len) {
                y[yb + first + k] = T(combine(prefix, local[k]));
            }
        }
        carry = combine(carry, sc[WG - 1u]);
        workgroupBarrier();
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let row = wid.y * nwg.x + wid.x;
    let row_len = params[1];
    if (row >= params[0]) {
        return;
    }
    scan_range(lid.x, params[2] + row * row_len, params[3] + row * row_len, row_len, bitcast<A>(params[4]));
}

// Long rows cut into segments (the third pass of reduce-then-scan): workgroup s scans segment
// s % spr of row s / spr starting from the inclusive scan of the segment totals before it.
// params: [segs, seg_len, row_len, spr, identity bits, x_base, y_base]
@compute @workgroup_size(256)
fn segmented(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_id) lid: vec3<u32>) {
    let s = wid.y * nwg.x + wid.x;
    if (s >= params[0]) {
        return;
    }
    let seg_len = params[1];
    let row_len = params[2];
    let spr = params[3];
    let row = s / spr;
    let p = s % spr;
    let start = p * seg_len;
    let len = min(row_len, start + seg_len) - start;
    var carry = bitcast<A>(params[4]);
    if (p > 0u) {
        carry = carries[s - 1u];
    }
    let at = row * row_len + start;
    scan_range(lid.x, params[5] + at, params[6] + at, len, carry);
}

@compute @workgroup_size(256)
fn serial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let row = flat_id(wid, nwg, lid, WG);
    let rows = params[0];
    let row_len = params[1];
    if (row >= rows) {
        return;
    }
    let xb = params[2] + row * row_len;
    let yb = params[3] + row * row_len;
    var acc = bitcast<A>(params[4]);
    for (var i = 0u; i < row_len; i = i + 1u) {
        acc = combine(acc, A(x[xb + i]));
        y[yb + i] = T(acc);
    }
}
