// Counter-based random numbers: Philox-4x32-10 (Salmon et al., Random123), the same generator as
// runtime/src/ops/random.rs, so a seed gives the same bits on the CPU and the GPU.
//
// Element g of a tensor uses Philox block counter (g / 4, sub, offset_lo, offset_hi) under the key
// (seed_lo, seed_hi), lane g % 4. `sub` selects independent streams: 0 for one-uniform outputs,
// 0 and 1 for the two uniforms of a normal, 2k and 2k+1 for the k-th redraw of a truncated normal.
// One thread makes one block (four elements), so results do not depend on how work is split.
//
// The float math (uniform from 24 bits, log, sin/cos, sqrt) is written here and in Rust with the
// same operations in the same order, so both sides agree to the last bit or within an ulp where a
// compiler fuses a multiply-add.
//
// KIND (override): 0 raw u32 bits, 1 uniform, 2 normal, 3 truncated normal (redraw beyond 2 sd),
// 4 randint (u32 range, i32/u32 wrap-around add), 5 dropout keep mask (u32 0/1),
// 6 scaled dropout mask (f32: b where kept, else 0).
// params: [n, start, key0, key1, off0, off1, a, b]
//   n: elements in this dispatch, start: global index of its first element (a multiple of 4);
//   uniform: a = minval, b = maxval (f32 bits); normal/truncated: a = mean, b = stddev;
//   randint: a = minval (i32 bits), b = maxval - minval (u32, 0 for 2^32); dropout: a = keep probability;
//   scaled dropout: a = keep probability, b = the scale (f32 bits).
// out is array<u32>; float kinds store bitcast<u32>(value).
//
// Entry points: `main` takes the key from params; `seeded` ignores params[2..4] and reads the key
// from binding 2 (a uint32 [lo, hi] seed tensor), so a replayed plan whose seed buffer is
// rewritten between runs draws new numbers; `advance` writes seed + step (64-bit, step in
// params[0..2]) to binding 1.

override KIND: u32 = 1u;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> seed: array<u32>;

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
const MAX_REDRAWS: u32 = 16u;

// The high 32 bits of the 64-bit product a * b (WGSL has no 64-bit integers).
fn mulhi32(a: u32, b: u32) -> u32 {
    let a0 = a & 0xFFFFu;
    let a1 = a >> 16u;
    let b0 = b & 0xFFFFu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p01 & 0xFFFFu) + (p10 & 0xFFFFu);
    return p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
}

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var r = 0u; r < 10u; r = r + 1u) {
        if (r > 0u) {
            k = vec2<u32>(k.x + PHILOX_W0, k.y + PHILOX_W1);
        }
        let hi0 = mulhi32(PHILOX_M0, c.x);
        let lo0 = PHILOX_M0 * c.x;
        let hi1 = mulhi32(PHILOX_M1, c.z);
        let lo1 = PHILOX_M1 * c.z;
        c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

// [0, 1) from the top 24 bits (exact in f32).
fn unit_open1(bits: u32) -> f32 {
    return f32(bits >> 8u) * 5.9604645e-8;
}

// (0, 1] from the top 24 bits (exact in f32), safe for log.
fn unit_open0(bits: u32) -> f32 {
    return f32((bits >> 8u) + 1u) * 5.9604645e-8;
}

// Natural log of x > 0 (normal floats): x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
// log(m) = 2 atanh(f), f = (m - 1) / (m + 1), as an odd series in f.
fn rng_log(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    var e = i32((b >> 23u) & 0xFFu) - 127;
    var m = bitcast<f32>((b & 0x007FFFFFu) | 0x3F800000u);
    if (m > 1.4142135) {
        m = m * 0.5;
        e = e + 1;
    }
    let f = (m - 1.0) / (m + 1.0);
    let s = f * f;
    let p = 0.11111111 + s * 0.09090909;
    let q = 0.14285715 + s * p;
    let t = 0.2 + s * q;
    let u = 0.33333334 + s * t;
    let v = 1.0 + s * u;
    let lnm = 2.0 * f * v;
    return f32(e) * 0.6931472 + lnm;
}

// sin and cos of phi in [0, pi/2] (Taylor series, Horner form).
fn rng_sin_q(phi: f32) -> f32 {
    let s = phi * phi;
    var p = -7.6471636e-13;
    p = 1.6059044e-10 + s * p;
    p = -2.5052108e-8 + s * p;
    p = 2.7557319e-6 + s * p;
    p = -1.9841270e-4 + s * p;
    p = 8.3333333e-3 + s * p;
    p = -0.16666667 + s * p;
    p = 1.0 + s * p;
    return phi * p;
}

fn rng_cos_q(phi: f32) -> f32 {
    let s = phi * phi;
    var p = 4.7794773e-14;
    p = -1.1470746e-11 + s * p;
    p = 2.0876757e-9 + s * p;
    p = -2.7557319e-7 + s * p;
    p = 2.4801587e-5 + s * p;
    p = -1.3888889e-3 + s * p;
    p = 4.1666668e-2 + s * p;
    p = -0.5 + s * p;
    p = 1.0 + s * p;
    return p;
}

// cos(2 pi k / 2^24) for the top 24 bits k of `bits`: the quadrant comes from the integer.
fn rng_cos_turn(bits: u32) -> f32 {
    let k = bits >> 8u;
    let quadrant = k >> 22u;
    let phi = f32(k & 0x3FFFFFu) * 3.7450702e-7; // 2 pi / 2^24
    var v: f32;
    switch quadrant {
        case 0u: { v = rng_cos_q(phi); }
        case 1u: { v = -rng_sin_q(phi); }
        case 2u: { v = -rng_cos_q(phi); }
        default: { v = rng_sin_q(phi); }
    }
    return v;
}

// A standard normal from two 32-bit draws (Box-Muller, cosine branch).
fn box_muller(b1: u32, b2: u32) -> f32 {
    let r = sqrt(-2.0 * rng_log(unit_open0(b1)));
    return r * rng_cos_turn(b2);
}

fn store(i: u32, v: u32) {
    if (i < params[0]) {
        out[i] = v;
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    draw_block(flat_id(wid, nwg, lid, WG), vec2<u32>(params[2], params[3]));
}

@compute @workgroup_size(WG)
fn seeded(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    draw_block(flat_id(wid, nwg, lid, WG), vec2<u32>(seed[0], seed[1]));
}

// Thread t's block of four elements under `key`.
fn draw_block(t: u32, key: vec2<u32>) {
    let n = params[0];
    let local0 = t * 4u;
    if (local0 >= n) {
        return;
    }
    let block = params[1] / 4u + t;
    let off0 = params[4];
    let off1 = params[5];
    let a = params[6];
    let b = params[7];
    let r0 = philox(vec4<u32>(block, 0u, off0, off1), key);
    var res = r0;
    if (KIND == 1u) {
        let lo = bitcast<f32>(a);
        let range = bitcast<f32>(b) - lo;
        for (var j = 0u; j < 4u; j = j + 1u) {
            res[j] = bitcast<u32>(lo + unit_open1(r0[j]) * range);
        }
    } else if (KIND == 2u) {
        let r1 = philox(vec4<u32>(block, 1u, off0, off1), key);
        for (var j = 0u; j < 4u; j = j + 1u) {
            res[j] = bitcast<u32>(bitcast<f32>(a) + bitcast<f32>(b) * box_muller(r0[j], r1[j]));
        }
    } else if (KIND == 3u) {
        var z = vec4<f32>(0.0);
        var done = vec4<bool>(false);
        for (var k = 0u; k < MAX_REDRAWS; k = k + 1u) {
            let u = philox(vec4<u32>(block, 2u * k, off0, off1), key);
            let v = philox(vec4<u32>(block, 2u * k + 1u, off0, off1), key);
            for (var j = 0u; j < 4u; j = j + 1u) {
                if (!done[j]) {
                    let c = box_muller(u[j], v[j]);
                    if (abs(c) <= 2.0) {
                        z[j] = c;
                        done[j] = true;
                    }
                }
            }
            if (all(done)) {
                break;
            }
        }
        for (var j = 0u; j < 4u; j = j + 1u) {
            // Still outside after MAX_REDRAWS (probability 0.0455^16): 0, deterministically.
            res[j] = bitcast<u32>(bitcast<f32>(a) + bitcast<f32>(b) * z[j]);
        }
    } else if (KIND == 4u) {
        for (var j = 0u; j < 4u; j = j + 1u) {
            res[j] = a + select(mulhi32(r0[j], b), r0[j], b == 0u);
        }
    } else if (KIND == 5u) {
        let keep = bitcast<f32>(a);
        for (var j = 0u; j < 4u; j = j + 1u) {
            res[j] = select(0u, 1u, unit_open1(r0[j]) < keep);
        }
    } else if (KIND == 6u) {
        let keep = bitcast<f32>(a);
        for (var j = 0u; j < 4u; j = j + 1u) {
            res[j] = select(0u, b, unit_open1(r0[j]) < keep);
        }
    }
    for (var j = 0u; j < 4u; j = j + 1u) {
        store(local0 + j, res[j]);
    }
}

// One Philox block for an explicit counter and key (known-answer tests of this WGSL code).
// params: [c0, c1, c2, c3, k0, k1]; out[0..4] = philox(c, k). Launch one thread.
@compute @workgroup_size(1)
fn block(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x == 0u) {
        let r = philox(vec4<u32>(params[0], params[1], params[2], params[3]),
                       vec2<u32>(params[4], params[5]));
        for (var j = 0u; j < 4u; j = j + 1u) {
            out[j] = r[j];
        }
    }
}

// The next seed: out[0..2] = seed + (params[0] | params[1] << 32) as 64-bit words. One thread.
@compute @workgroup_size(1)
fn advance(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x == 0u) {
        let lo = seed[0] + params[0];
        let carry = select(0u, 1u, lo < params[0]);
        out[0] = lo;
        out[1] = seed[1] + params[1] + carry;
    }
}
