// Gather / scatter / search kernels of the index family. Indices are i32 buffers. Entry points
// that read the same buffers share globals; globals of different entry points may share a
// binding number (a pipeline's layout holds only what its entry point uses), so every entry's
// bindings are 1..m in the order the launcher passes them.
//
// Out-of-range indices: the host validates what it can; on the GPU a negative index wraps once
// (like NumPy) and what is still out of range is clamped (gathers) or dropped (scatters).
//
// take:          params [n, A, I, m]       x(T), idx(i32), out(T); out shape [O, m, I] over x [O, A, I]
// take_along:    params [n, rank, axis, A, dims(rank), x_strides(rank), idx_strides(rank)]
// one_hot:       params [n, C, inner]      idx(i32), out(T); out [outer, C, inner]
// max_axis:      params [n, R, inner]      src(T), out(T); out[o, i] = max_r src[o, r, i]
// scatter_flat:  params [m, k, dims(k)]    idx(i32) [m, k], flat(i32) [m]: row-major position or -1
// scatter_add:   params [n, inner, m]      sorted(i32), perm(i32), vals(T) [m, inner], out(T) = sum
// scatter_set:   params [n, inner, m]      sorted, perm, vals, base(T), out(T): last update wins
// in_top_k:      params [rows, C, k]       targets(i32), preds(T), out(u32 bool)
// search:        params [n, m, right, digitize]  seq(T) [m], vals(T) [n], out(i32)
// histogram:     params [n, e]             x(T), edges(T) [e], counts(atomic u32) [e - 1]
// bincount:      params [n, per_row, length]     x(i32), counts(atomic u32) [rows, length]
// bincount_w:    params [n, per_row, length]     x(i32), w(T), out(T) [rows, length] (one thread per bin)

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;

fn is_nan_t(v: T) -> bool {
    let b = bitcast<u32>(f32(v));
    return (b & 0x7fffffffu) > 0x7f800000u;
}

fn wrap_clamp(j: i32, n: u32) -> u32 {
    var v = j;
    if (v < 0) {
        v = v + i32(n);
    }
    return u32(clamp(v, 0, i32(n) - 1));
}

// ---- take, take_along_axis: both read x(T), idx(i32) and write out(T) ----
@group(0) @binding(1) var<storage, read> take_x: array<T>;
@group(0) @binding(2) var<storage, read> take_idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> take_out: array<T>;

@compute @workgroup_size(WG)
fn take(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let a = params[1];
    let inner = params[2];
    let m = params[3];
    let in_i = i % inner;
    let j = (i / inner) % m;
    let outer = i / (inner * m);
    let src = wrap_clamp(take_idx[j], a);
    take_out[i] = take_x[(outer * a + src) * inner + in_i];
}

@compute @workgroup_size(WG)
fn take_along(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let rank = params[1];
    let axis = params[2];
    let a = params[3];
    var rem = i;
    var xi = 0u;
    var ii = 0u;
    for (var d = i32(rank) - 1; d >= 0; d = d - 1) {
        let dim = params[4u + u32(d)];
        let c = rem % dim;
        rem = rem / dim;
        ii = ii + c * params[4u + 2u * rank + u32(d)];
        if (u32(d) != axis) {
            xi = xi + c * params[4u + rank + u32(d)];
        }
    }
    let j = wrap_clamp(take_idx[ii], a);
    take_out[i] = take_x[xi + j * params[4u + rank + axis]];
}

// ---- one_hot ----
@group(0) @binding(1) var<storage, read> oh_idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> oh_out: array<T>;

@compute @workgroup_size(WG)
fn one_hot(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let classes = params[1];
    let inner = params[2];
    let in_i = i % inner;
    let c = (i / inner) % classes;
    let outer = i / (inner * classes);
    let v = oh_idx[outer * inner + in_i];
    oh_out[i] = select(T(0), T(1), v == i32(c));
}

// ---- max over one axis (multi_hot) ----
@group(0) @binding(1) var<storage, read> mx_src: array<T>;
@group(0) @binding(2) var<storage, read_write> mx_out: array<T>;

@compute @workgroup_size(WG)
fn max_axis(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let r = params[1];
    let inner = params[2];
    let in_i = i % inner;
    let base = (i / inner) * r * inner + in_i;
    var acc = mx_src[base];
    for (var t = 1u; t < r; t = t + 1u) {
        acc = max(acc, mx_src[base + t * inner]);
    }
    mx_out[i] = acc;
}

// ---- scatter ----
@group(0) @binding(1) var<storage, read> sf_idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> sf_flat: array<i32>;

@compute @workgroup_size(WG)
fn scatter_flat(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let k = params[1];
    var pos = 0;
    var ok = true;
    for (var d = 0u; d < k; d = d + 1u) {
        let dim = i32(params[2u + d]);
        var v = sf_idx[i * k + d];
        if (v < 0) {
            v = v + dim;
        }
        ok = ok && v >= 0 && v < dim;
        pos = pos * dim + v;
    }
    sf_flat[i] = select(-1, pos, ok);
}

// The updates of output row p are u = perm[t] for t in [lower_bound(p), upper_bound(p)) of the
// stably sorted row positions, so they are visited in update order: sums round as on the CPU
// and the last duplicate wins for scatter_set. Cost O(log m) per output element plus its updates.
// scatter_add and scatter_set share bindings 1..3; binding 4 is sa_out or ss_base.
@group(0) @binding(1) var<storage, read> sc_sorted: array<i32>;
@group(0) @binding(2) var<storage, read> sc_perm: array<i32>;
@group(0) @binding(3) var<storage, read> sc_vals: array<T>;
@group(0) @binding(4) var<storage, read_write> sa_out: array<T>;
@group(0) @binding(4) var<storage, read> ss_base: array<T>;
@group(0) @binding(5) var<storage, read_write> ss_out: array<T>;

fn sorted_bound(m: u32, p: i32, upper: bool) -> u32 {
    var lo = 0u;
    var hi = m;
    while (lo < hi) {
        let mid = (lo + hi) / 2u;
        let v = sc_sorted[mid];
        if (v < p || (upper && v == p)) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return lo;
}

// Output element i: its row's updates are perm[start..end), at offset in_i of a row of `inner`.
struct Updates {
    start: u32,
    end: u32,
    inner: u32,
    in_i: u32,
}

fn updates_of(i: u32) -> Updates {
    let inner = params[1];
    let m = params[2];
    let p = i32(i / inner);
    return Updates(sorted_bound(m, p, false), sorted_bound(m, p, true), inner, i % inner);
}

@compute @workgroup_size(WG)
fn scatter_add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let u = updates_of(i);
    var acc = T(0);
    for (var t = u.start; t < u.end; t = t + 1u) {
        acc = acc + sc_vals[u32(sc_perm[t]) * u.inner + u.in_i];
    }
    sa_out[i] = acc;
}

@compute @workgroup_size(WG)
fn scatter_set(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let u = updates_of(i);
    var acc = ss_base[i];
    if (u.end > u.start) {
        acc = sc_vals[u32(sc_perm[u.end - 1u]) * u.inner + u.in_i];
    }
    ss_out[i] = acc;
}

// ---- in_top_k ----
@group(0) @binding(1) var<storage, read> itk_targets: array<i32>;
@group(0) @binding(2) var<storage, read> itk_preds: array<T>;
@group(0) @binding(3) var<storage, read_write> itk_out: array<u32>;

@compute @workgroup_size(WG)
fn in_top_k(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
    let row = flat_id(wid, nwg, lid, WG);
    if (row >= params[0]) {
        return;
    }
    let classes = params[1];
    let k = params[2];
    var t = itk_targets[row];
    if (t < 0) {
        t = t + i32(classes);
    }
    // A target out of range reads as NaN, and a NaN target score as -inf (as Keras on JAX):
    // every non-NaN score but -inf beats it.
    let valid = t >= 0 && t < i32(classes);
    var p = T(0);
    var low = true;
    if (valid) {
        p = itk_preds[row * classes + u32(t)];
        low = is_nan_t(p);
    }
    var greater = 0u;
    for (var c = 0u; c < classes; c = c + 1u) {
        let q = itk_preds[row * classes + c];
        if (is_nan_t(q)) {
            continue;
        }
        if (low) {
            // The target scores -inf: every score above -inf beats it.
            if (bitcast<u32>(f32(q)) != 0xff800000u) {
                greater = greater + 1u;
            }
        } else if (q > p) {
            greater = greater + 1u;
        }
    }
    itk_out[row] = select(0u, 1u, greater + 1u <= k);
}

// ---- searchsorted / digitize ----
@group(0) @binding(1) var<storage, read> se_seq: array<T>;
@group(0) @binding(2) var<storage, read> se_vals: array<T>;
@group(0) @binding(3) var<storage, read_write> se_out: array<i32>;

// NaN-last total order.
fn lt_nan_last(a: T, b: T) -> bool {
    let na = is_nan_t(a);
    let nb = is_nan_t(b);
    if (na || nb) {
        return !na && nb;
    }
    return a < b;
}

fn seq_at(i: u32, m: u32, rev: bool) -> T {
    if (rev) {
        return se_seq[m - 1u - i];
    }
    return se_seq[i];
}

@compute @workgroup_size(WG)
fn search(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let m = params[1];
    let right = params[2] != 0u;
    let digitize = params[3] != 0u;
    // digitize with decreasing bins searches the reversed bins (as jnp.digitize).
    let rev = digitize && m > 0u && lt_nan_last(se_seq[m - 1u], se_seq[0]);
    let v = se_vals[i];
    var lo = 0u;
    var hi = m;
    while (lo < hi) {
        let mid = (lo + hi) / 2u;
        let s = seq_at(mid, m, rev);
        var go_right: bool;
        if (right) {
            go_right = !lt_nan_last(v, s);
        } else {
            go_right = lt_nan_last(s, v);
        }
        if (go_right) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    se_out[i] = select(i32(lo), i32(m - lo), rev);
}

// ---- histogram ----
@group(0) @binding(1) var<storage, read> hi_x: array<T>;
@group(0) @binding(2) var<storage, read> hi_edges: array<T>;
@group(0) @binding(3) var<storage, read_write> hi_counts: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn histogram(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let e = params[1];
    let v = hi_x[i];
    // searchsorted(edges, v, side="right"), a value equal to the last edge goes to the last bin.
    var lo = 0u;
    var hi = e;
    while (lo < hi) {
        let mid = (lo + hi) / 2u;
        if (!lt_nan_last(v, hi_edges[mid])) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    if (!is_nan_t(v) && v == hi_edges[e - 1u]) {
        lo = e - 1u;
    }
    if (lo >= 1u && lo < e) {
        atomicAdd(&hi_counts[lo - 1u], 1u);
    }
}

// ---- bincount ----
@group(0) @binding(1) var<storage, read> bc_x: array<i32>;
@group(0) @binding(2) var<storage, read_write> bc_counts: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn bincount(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let per_row = params[1];
    let length = params[2];
    let v = bc_x[i];
    if (v >= 0 && u32(v) < length) {
        atomicAdd(&bc_counts[(i / per_row) * length + u32(v)], 1u);
    }
}

@group(0) @binding(1) var<storage, read> bw_x: array<i32>;
@group(0) @binding(2) var<storage, read> bw_w: array<T>;
@group(0) @binding(3) var<storage, read_write> bw_out: array<T>;

@compute @workgroup_size(WG)
fn bincount_w(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let per_row = params[1];
    let length = params[2];
    let row = i / length;
    let b = i32(i % length);
    var acc = T(0);
    for (var u = 0u; u < per_row; u = u + 1u) {
        if (bw_x[row * per_row + u] == b) {
            acc = acc + bw_w[row * per_row + u];
        }
    }
    bw_out[i] = acc;
}
