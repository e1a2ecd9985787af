// Bitonic sort of independent rows of length L, padded to P = next power of two. Keys are sorted
// together with their original index and ties are broken by that index, so the sort is stable.
// NaNs sort last (ascending, as NumPy) or first (DESC, as jax.lax.top_k treats NaN as largest);
// padding (index -1) always sorts last.
//
// sort_init: params [n = rows * P, L, P]    src(T) [rows, L] -> keys(T), idx(i32) [rows, P]
// sort_step: params [n = rows * P / 2, P, k, j]   one compare-exchange per thread
// sort_out:  params [n = rows * K, P, K]    keys, idx -> out_keys(T), out_idx(i32) [rows, K]

override WG: u32 = 256u;
override DESC: u32 = 0u;

@group(0) @binding(0) var<storage, read> params: array<u32>;

fn is_nan_t(v: T) -> bool {
    let b = bitcast<u32>(f32(v));
    return (b & 0x7fffffffu) > 0x7f800000u;
}

// Whether (a, ia) comes strictly before (b, ib).
fn before(a: T, ia: i32, b: T, ib: i32) -> bool {
    if (ia < 0) {
        return false;
    }
    if (ib < 0) {
        return true;
    }
    let na = is_nan_t(a);
    let nb = is_nan_t(b);
    if (na != nb) {
        return select(nb, na, DESC != 0u);
    }
    if (!na && a != b) {
        if (DESC != 0u) {
            return a > b;
        }
        return a < b;
    }
    return ia < ib;
}

// Whether the pair (a at the lower slot, b at the higher) must swap: in an ascending (`up`)
// run b goes before a, in a descending run a goes before b.
fn out_of_order(up: bool, ka: T, ia: i32, kb: T, ib: i32) -> bool {
    if (up) {
        return before(kb, ib, ka, ia);
    }
    return before(ka, ia, kb, ib);
}

@group(0) @binding(1) var<storage, read> init_src: array<T>;
@group(0) @binding(2) var<storage, read_write> init_keys: array<T>;
@group(0) @binding(3) var<storage, read_write> init_idx: array<i32>;

@compute @workgroup_size(WG)
fn sort_init(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let l = params[1];
    let p = params[2];
    let row = i / p;
    let c = i % p;
    if (c < l) {
        init_keys[i] = init_src[row * l + c];
        init_idx[i] = i32(c);
    } else {
        init_keys[i] = T(0);
        init_idx[i] = -1;
    }
}

@group(0) @binding(1) var<storage, read_write> step_keys: array<T>;
@group(0) @binding(2) var<storage, read_write> step_idx: array<i32>;

@compute @workgroup_size(WG)
fn sort_step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = flat_id(wid, nwg, lid, WG);
    if (t >= params[0]) {
        return;
    }
    let p = params[1];
    let k = params[2];
    let j = params[3];
    let half_p = p / 2u;
    let row = t / half_p;
    let q = t % half_p;
    let lo = (q / j) * 2u * j + (q % j);
    let hi = lo + j;
    let up = (lo & k) == 0u;
    let a = row * p + lo;
    let b = row * p + hi;
    let ka = step_keys[a];
    let kb = step_keys[b];
    let ia = step_idx[a];
    let ib = step_idx[b];
    if (out_of_order(up, ka, ia, kb, ib)) {
        step_keys[a] = kb;
        step_keys[b] = ka;
        step_idx[a] = ib;
        step_idx[b] = ia;
    }
}

@group(0) @binding(1) var<storage, read> out_src_keys: array<T>;
@group(0) @binding(2) var<storage, read> out_src_idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out_keys: array<T>;
@group(0) @binding(4) var<storage, read_write> out_idx: array<i32>;

@compute @workgroup_size(WG)
fn sort_out(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let p = params[1];
    let kk = params[2];
    let src = (i / kk) * p + i % kk;
    out_keys[i] = out_src_keys[src];
    out_idx[i] = out_src_idx[src];
}

// sort_local: params [blocks, P, k_lo, k_hi, j_first, total]. Runs the stages k = k_lo, 2 k_lo,
// .. k_hi (j from j_first for the first k, else from k / 2, down to 1) of blocks of 512
// elements in workgroup memory: every stage with j < 512 needs no other block. Slots past
// `total` (when rows of P < 512 do not fill the last block) act as padding.
const LOCAL_BLOCK: u32 = 512u;
var<workgroup> sh_keys: array<T, 512>;
var<workgroup> sh_idx: array<i32, 512>;

@group(0) @binding(1) var<storage, read_write> loc_keys: array<T>;
@group(0) @binding(2) var<storage, read_write> loc_idx: array<i32>;

@compute @workgroup_size(256)
fn sort_local(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid: vec3<u32>) {
    let block = wid.y * nwg.x + wid.x;
    if (block >= params[0]) {
        return;
    }
    let p = params[1];
    let k_hi = params[3];
    let total = params[5];
    let base = block * LOCAL_BLOCK;
    let t = lid.x;
    for (var h = 0u; h < 2u; h = h + 1u) {
        let s = t + h * 256u;
        if (base + s < total) {
            sh_keys[s] = loc_keys[base + s];
            sh_idx[s] = loc_idx[base + s];
        } else {
            sh_keys[s] = T(0);
            sh_idx[s] = -1;
        }
    }
    workgroupBarrier();
    var k = params[2];
    var j = params[4];
    loop {
        if (k > k_hi) {
            break;
        }
        loop {
            if (j == 0u) {
                break;
            }
            let lo = (t / j) * 2u * j + (t % j);
            let hi = lo + j;
            let up = (((base + lo) % p) & k) == 0u;
            let ka = sh_keys[lo];
            let kb = sh_keys[hi];
            let ia = sh_idx[lo];
            let ib = sh_idx[hi];
            if (out_of_order(up, ka, ia, kb, ib)) {
                sh_keys[lo] = kb;
                sh_keys[hi] = ka;
                sh_idx[lo] = ib;
                sh_idx[hi] = ia;
            }
            workgroupBarrier();
            j = j / 2u;
        }
        k = k * 2u;
        j = k / 2u;
    }
    for (var h = 0u; h < 2u; h = h + 1u) {
        let s = t + h * 256u;
        if (base + s < total) {
            loc_keys[base + s] = sh_keys[s];
            loc_idx[base + s] = sh_idx[s];
        }
    }
}
