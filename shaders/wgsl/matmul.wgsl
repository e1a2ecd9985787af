// Batched matrix product out[z] = A[z] @ B[z], tiled with workgroup memory.
//
// Each workgroup computes a 64x64 output tile with 16x16 threads, 4x4 outputs per thread, walking
// K in steps of BK = 16. A[z] is M x K, stored row-major ([M, K]) or, when TA, as its transpose
// ([K, M]); B[z] is K x N, stored [K, N] or, when TB, [N, K]. So a transposed operand needs no
// copy. Inputs are bound as arrays of vec4: when VA / VB are set (the operand's contiguous
// dimension is a multiple of 4) a tile row is one vec4 load, otherwise the scalar variant reads
// element i as `x[i >> 2][i & 3]`. Edge tiles (any M, N, K, including 1) are bounds checked.
//
// The output is contiguous [batch, M, N]. Batch dims are merged where possible; batch index z
// (workgroup_id.z + batch_start) is decomposed over `rank` dims with a per-operand element stride
// for each (0 along a broadcast dim).
//
// params: [M, N, K, batch_start, rank, dims(rank), a_strides(rank), b_strides(rank)]
//
// The `fused` and `gemv_fused` entry points are the same products with an epilogue in the write
// (Dense layers): out = act(acc + bias[n]), where BIAS says whether binding 4 holds a bias of
// length N, and EPI picks the activation: 0 linear, 1 relu, 2 sigmoid, 3 tanh (the formulas of
// unary_float.wgsl, computed in f32). They have their own entry points so the plain products
// keep a 3-buffer layout.

override TA: bool = false;
override TB: bool = false;
override VA: bool = false;
override VB: bool = false;
override EPI: u32 = 0u;
override BIAS: bool = false;
// gemv_fused only: the rows of the GEMV are output columns (M == 1), so row i adds bias[i];
// else (N == 1) every row adds bias[0].
override BIAS_ROWS: bool = true;

const TILE: u32 = 64u;
const BK: u32 = 16u;
// Vec4 columns of a 64-wide tile row.
const TV: u32 = 16u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<vec4<T>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<T>>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@group(0) @binding(4) var<storage, read> bias: array<T>;

// As[k * TV + m / 4][m % 4] = A(m0 + m, k0 + k); Bs[k * TV + n / 4][n % 4] = B(k0 + k, n0 + n).
var<workgroup> As: array<vec4<T>, 256>;
var<workgroup> Bs: array<vec4<T>, 256>;

fn load_a(i: u32) -> T {
    return a[i >> 2u][i & 3u];
}

fn load_b(i: u32) -> T {
    return b[i >> 2u][i & 3u];
}

// Four consecutive elements of A starting at flat index i; `valid` of them are in bounds.
fn load_a4(i: u32, valid: u32) -> vec4<T> {
    if (VA) {
        if (valid >= 4u) {
            return a[i >> 2u];
        }
        return vec4<T>(T(0));
    }
    var v = vec4<T>(T(0));
    for (var c = 0u; c < min(valid, 4u); c = c + 1u) {
        v[c] = load_a(i + c);
    }
    return v;
}

fn load_b4(i: u32, valid: u32) -> vec4<T> {
    if (VB) {
        if (valid >= 4u) {
            return b[i >> 2u];
        }
        return vec4<T>(T(0));
    }
    var v = vec4<T>(T(0));
    for (var c = 0u; c < min(valid, 4u); c = c + 1u) {
        v[c] = load_b(i + c);
    }
    return v;
}

// One thread's 4x4 outputs: rows m..m+4, columns n..n+4 of batch entry at out_off.
struct Tile {
    acc0: vec4<T>,
    acc1: vec4<T>,
    acc2: vec4<T>,
    acc3: vec4<T>,
    out_off: u32,
    m: u32,
    n: u32,
}

fn compute_tile(wid: vec3<u32>, lid: vec3<u32>, t: u32) -> Tile {
    let M = params[0];
    let N = params[1];
    let K = params[2];
    let rank = params[4];

    // Batch offsets of this workgroup's matrices.
    var rem = wid.z + params[3];
    let out_off = rem * M * N;
    var a_off = 0u;
    var b_off = 0u;
    for (var d = i32(rank) - 1; d >= 0; d = d - 1) {
        let dim = params[5u + u32(d)];
        let c = rem % dim;
        rem = rem / dim;
        a_off = a_off + c * params[5u + rank + u32(d)];
        b_off = b_off + c * params[5u + 2u * rank + u32(d)];
    }

    let m0 = wid.y * TILE;
    let n0 = wid.x * TILE;
    let tx = lid.x;
    let ty = lid.y;

    var acc0 = vec4<T>(T(0));
    var acc1 = vec4<T>(T(0));
    var acc2 = vec4<T>(T(0));
    var acc3 = vec4<T>(T(0));

    for (var k0 = 0u; k0 < K; k0 = k0 + BK) {
        // A tile: 64 (m) x 16 (k) = one vec4 per thread.
        if (TA) {
            // Stored [K, M]: four consecutive m of one k.
            let kk = t / TV;
            let mq = (t % TV) * 4u;
            let k = k0 + kk;
            let m = m0 + mq;
            var v = vec4<T>(T(0));
            if (k < K && m < M) {
                v = load_a4(a_off + k * M + m, M - m);
            }
            As[kk * TV + mq / 4u] = v;
        } else {
            // Stored [M, K]: four consecutive k of one m.
            let r = t / 4u;
            let kq = (t % 4u) * 4u;
            let k = k0 + kq;
            let m = m0 + r;
            var v = vec4<T>(T(0));
            if (k < K && m < M) {
                v = load_a4(a_off + m * K + k, K - k);
            }
            As[(kq + 0u) * TV + r / 4u][r % 4u] = v.x;
            As[(kq + 1u) * TV + r / 4u][r % 4u] = v.y;
            As[(kq + 2u) * TV + r / 4u][r % 4u] = v.z;
            As[(kq + 3u) * TV + r / 4u][r % 4u] = v.w;
        }
        // B tile: 16 (k) x 64 (n).
        if (TB) {
            // Stored [N, K]: four consecutive k of one n.
            let r = t / 4u;
            let kq = (t % 4u) * 4u;
            let k = k0 + kq;
            let n = n0 + r;
            var v = vec4<T>(T(0));
            if (k < K && n < N) {
                v = load_b4(b_off + n * K + k, K - k);
            }
            Bs[(kq + 0u) * TV + r / 4u][r % 4u] = v.x;
            Bs[(kq + 1u) * TV + r / 4u][r % 4u] = v.y;
            Bs[(kq + 2u) * TV + r / 4u][r % 4u] = v.z;
            Bs[(kq + 3u) * TV + r / 4u][r % 4u] = v.w;
        } else {
            // Stored [K, N]: four consecutive n of one k.
            let kk = t / TV;
            let nq = (t % TV) * 4u;
            let k = k0 + kk;
            let n = n0 + nq;
            var v = vec4<T>(T(0));
            if (k < K && n < N) {
                v = load_b4(b_off + k * N + n, N - n);
            }
            Bs[kk * TV + nq / 4u] = v;
        }
        workgroupBarrier();

        for (var kk = 0u; kk < BK; kk = kk + 1u) {
            let av = As[kk * TV + ty];
            let bv = Bs[kk * TV + tx];
            acc0 = acc0 + av.x * bv;
            acc1 = acc1 + av.y * bv;
            acc2 = acc2 + av.z * bv;
            acc3 = acc3 + av.w * bv;
        }
        workgroupBarrier();
    }

    return Tile(acc0, acc1, acc2, acc3, out_off, m0 + ty * 4u, n0 + tx * 4u);
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
    let r = compute_tile(wid, lid, t);
    let M = params[0];
    let N = params[1];
    store_row(r.out_off, r.m + 0u, r.n, M, N, r.acc0);
    store_row(r.out_off, r.m + 1u, r.n, M, N, r.acc1);
    store_row(r.out_off, r.m + 2u, r.n, M, N, r.acc2);
    store_row(r.out_off, r.m + 3u, r.n, M, N, r.acc3);
}

fn store_row(out_off: u32, m: u32, n: u32, M: u32, N: u32, v: vec4<T>) {
    if (m >= M) {
        return;
    }
    let base = out_off + m * N;
    for (var j = 0u; j < 4u; j = j + 1u) {
        if (n + j < N) {
            out[base + n + j] = v[j];
        }
    }
}

fn mm_is_nan(v: f32) -> bool {
    let b = bitcast<u32>(v);
    return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}

// The epilogue of the fused entries: bias add in T, then the activation (in f32, as the eager
// unary kernels compute it, so results match `activation(add(matmul(a, b), bias))`).
fn epilogue(v: T, bias_index: u32) -> T {
    var x = v;
    if (BIAS) {
        x = x + bias[bias_index];
    }
    if (EPI == 1u) {
        x = select(max(x, T(0)), x, mm_is_nan(f32(x)));
    } else if (EPI == 2u) {
        let f = f32(x);
        var s: f32;
        if (f >= 0.0) {
            s = 1.0 / (1.0 + exp(-f));
        } else {
            let e = exp(f);
            s = e / (1.0 + e);
        }
        x = T(s);
    } else if (EPI == 3u) {
        x = T(tanh_f32(f32(x)));
    }
    return x;
}

fn store_row_fused(out_off: u32, m: u32, n: u32, M: u32, N: u32, v: vec4<T>) {
    if (m >= M) {
        return;
    }
    let base = out_off + m * N;
    for (var j = 0u; j < 4u; j = j + 1u) {
        if (n + j < N) {
            out[base + n + j] = epilogue(v[j], n + j);
        }
    }
}

@compute @workgroup_size(16, 16, 1)
fn fused(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
         @builtin(local_invocation_index) t: u32) {
    let r = compute_tile(wid, lid, t);
    let M = params[0];
    let N = params[1];
    store_row_fused(r.out_off, r.m + 0u, r.n, M, N, r.acc0);
    store_row_fused(r.out_off, r.m + 1u, r.n, M, N, r.acc1);
    store_row_fused(r.out_off, r.m + 2u, r.n, M, N, r.acc2);
    store_row_fused(r.out_off, r.m + 3u, r.n, M, N, r.acc3);
}

// Matrix-vector product, used when M == 1 or N == 1: out[z, i] = sum_k v[k] * W(i, k), where
// binding 1 holds the vector operand and binding 2 the matrix W, whose element (i, k) sits at
// i * WI + k * WK (so either storage order works without a copy). Each thread owns one output and
// walks K; a workgroup of 64 threads covers 64 outputs of one batch entry, the grid's x and y
// fold the row blocks.
// params: [rows, K, WI, WK, batch_start, rank, dims(rank), v_strides(rank), w_strides(rank)]
// Output row i of the GEMV and its index in `out` (or rows when out of range).
struct GemvOut {
    value: T,
    index: u32,
    i: u32,
}

fn gemv_row(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> GemvOut {
    let rows = params[0];
    let K = params[1];
    let wi = params[2];
    let wk = params[3];
    let rank = params[5];
    var rem = wid.z + params[4];
    let out_off = rem * rows;
    var v_off = 0u;
    var w_off = 0u;
    for (var d = i32(rank) - 1; d >= 0; d = d - 1) {
        let dim = params[6u + u32(d)];
        let c = rem % dim;
        rem = rem / dim;
        v_off = v_off + c * params[6u + rank + u32(d)];
        w_off = w_off + c * params[6u + 2u * rank + u32(d)];
    }
    let i = (wid.y * nwg.x + wid.x) * 64u + lid.x;
    if (i >= rows) {
        return GemvOut(T(0), 0u, rows);
    }
    var acc = T(0);
    for (var k = 0u; k < K; k = k + 1u) {
        acc = acc + load_a(v_off + k) * load_b(w_off + i * wi + k * wk);
    }
    return GemvOut(acc, out_off + i, i);
}

@compute @workgroup_size(64, 1, 1)
fn gemv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let r = gemv_row(wid, nwg, lid);
    if (r.i < params[0]) {
        out[r.index] = r.value;
    }
}

@compute @workgroup_size(64, 1, 1)
fn gemv_fused(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid: vec3<u32>) {
    let r = gemv_row(wid, nwg, lid);
    if (r.i < params[0]) {
        out[r.index] = epilogue(r.value, select(0u, r.i, BIAS_ROWS));
    }
}
