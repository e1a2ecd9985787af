// Placeholder: this kernel family is being written.
@group(0) @binding(0) var<storage, read> params: array<u32>;

@compute @workgroup_size(1)
fn main() {
    _ = params[0];
}
