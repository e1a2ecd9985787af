// Writes values computed from the index alone. IS_INT says whether the scalars in params are
// i32 (else f32) bit patterns.
// fill:   params [n, offset, stride, value]          out[offset + i * stride] = value
// arange: params [n, start, step]                     out[i] = start + i * step

override IS_INT: bool = false;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<T>;

@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    var v: T;
    if (IS_INT) {
        v = T(bitcast<i32>(params[3]));
    } else {
        v = T(bitcast<f32>(params[3]));
    }
    out[params[1] + i * params[2]] = v;
}

@compute @workgroup_size(WG)
fn arange(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    if (IS_INT) {
        out[i] = T(bitcast<i32>(params[1]) + i32(i) * bitcast<i32>(params[2]));
    } else {
        out[i] = T(bitcast<f32>(params[1]) + f32(i) * bitcast<f32>(params[2]));
    }
}
