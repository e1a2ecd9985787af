// Elementwise functions of two operands of any numeric type with NumPy broadcasting.
// OP: 0 add, 1 subtract, 2 multiply, 3 maximum, 4 minimum, 5 integer power (JAX rules:
// negative exponents give 0 except for bases 1 and -1).
// params: [n, rank, dims(rank), a_strides(rank), b_strides(rank)]

override OP: u32 = 0u;
override WG: u32 = 256u;
override FLAT: bool = false;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> y: array<T>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat_id(wid, nwg, lid, WG);
    if (i >= params[0]) {
        return;
    }
    let rank = params[1];
    let u = a[operand_index(i, rank, 1u, FLAT)];
    let v = b[operand_index(i, rank, 2u, FLAT)];
    let r = binary_T(OP, u, v);
    y[i] = r;
}
