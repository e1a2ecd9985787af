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

override TA: bool = false;
override TB: bool = false;
override VA: bool = false;
override VB: bool = false;

const TILE: u32 = 64u;
const BK: u32 = 16u;
// Vec4 columns of a 64-wide tile row.
const TV: u32 = 16u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<vec4<T>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<T>>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;

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

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
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

    let m = m0 + ty * 4u;
    let n = n0 + tx * 4u;
    store_row(out_off, m + 0u, n, M, N, acc0);
    store_row(out_off, m + 1u, n, M, N, acc1);
    store_row(out_off, m + 2u, n, M, N, acc2);
    store_row(out_off, m + 3u, n, M, N, acc3);
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

// Matrix-vector product, used when M == 1 or N == 1: out[z, i] = sum_k v[k] * W(i, k), where
// binding 1 holds the vector operand and binding 2 the matrix W, whose element (i, k) sits at
// i * WI + k * WK (so either storage order works without a copy). Each thread owns one output and
// walks K; a workgroup of 64 threads covers 64 outputs of one batch entry, the grid's x and y
// fold the row blocks.
// params: [rows, K, WI, WK, batch_start, rank, dims(rank), v_strides(rank), w_strides(rank)]
@compute @workgroup_size(64, 1, 1)
fn gemv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
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
        return;
    }
    var acc = T(0);
    for (var k = 0u; k < K; k = k + 1u) {
        acc = acc + load_a(v_off + k) * load_b(w_off + i * wi + k * wk);
    }
    out[out_off + i] = acc;
}
