//! The WGSL kernels of wgkeras and the one template step that specializes them.
//!
//! Every kernel family is one `.wgsl` file under `wgsl/`. A kernel names its element types with
//! type aliases it does not declare (`T`, and for some kernels `U`, `O`): [`specialize`] prepends
//! `alias T = f32;` (and `enable f16;` when a type is `f16`) plus the shared prelude. Everything
//! else that varies (op codes, tile sizes) is a WGSL `override` constant set when the pipeline is
//! created, and shapes travel as data in the params buffer, so new shapes compile nothing.
//!
//! Conventions every kernel follows:
//! - `@group(0) @binding(0) var<storage, read> params: array<u32>;` holds the launch's scalars
//!   (sizes, strides, offsets; floats as `bitcast<f32>`).
//! - Data buffers are bindings 1, 2, ... in the order the launcher passes them.
//! - 1-D launches use `@workgroup_size(WG)` with `override WG: u32 = 256u;` and index threads with
//!   `flat_id(wid, nwg, lid)` from the prelude, which folds a 2-D grid (used when a launch has more
//!   than 65535 workgroups) back into one index.

/// One kernel family: its registry name and WGSL source.
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
    /// The aliases the kernel expects (`"T"`, ...), with the WGSL types it is valid for.
    pub type_params: &'static [(&'static str, &'static [&'static str])],
}

/// Helpers shared by every kernel, appended to each specialized source.
pub const PRELUDE: &str = include_str!("../wgsl/prelude.wgsl");

const FLOATS: &[&str] = &["f32", "f16"];
const NUMERIC: &[&str] = &["f32", "f16", "i32", "u32"];
const ALL: &[&str] = &["f32", "f16", "i32", "u32"];

const fn shader(
    name: &'static str,
    source: &'static str,
    type_params: &'static [(&'static str, &'static [&'static str])],
) -> Shader {
    Shader { name, source, type_params }
}

/// Every shader of the project. A kernel family is added here and nowhere else.
pub static SHADERS: &[Shader] = &[
    shader("unary_float", include_str!("../wgsl/unary_float.wgsl"), &[("T", FLOATS)]),
    shader("unary_int", include_str!("../wgsl/unary_int.wgsl"), &[("T", &["i32", "u32"])]),
    shader("binary", include_str!("../wgsl/binary.wgsl"), &[("T", NUMERIC)]),
    shader("binary_float", include_str!("../wgsl/binary_float.wgsl"), &[("T", FLOATS)]),
    shader("compare", include_str!("../wgsl/compare.wgsl"), &[("T", NUMERIC)]),
    shader("where", include_str!("../wgsl/where.wgsl"), &[("T", ALL)]),
    shader("cast", include_str!("../wgsl/cast.wgsl"), &[("T", ALL), ("O", ALL)]),
    shader("fill", include_str!("../wgsl/fill.wgsl"), &[("T", ALL)]),
    shader("strided_copy", include_str!("../wgsl/strided_copy.wgsl"), &[("T", ALL)]),
    shader("reduce", include_str!("../wgsl/reduce.wgsl"), &[("T", ALL), ("A", &["f32", "i32", "u32"])]),
    shader("scan", include_str!("../wgsl/scan.wgsl"), &[("T", ALL), ("A", &["f32", "i32", "u32"])]),
    shader("matmul", include_str!("../wgsl/matmul.wgsl"), &[("T", NUMERIC)]),
    shader("index", include_str!("../wgsl/index.wgsl"), &[("T", ALL)]),
    shader("sort", include_str!("../wgsl/sort.wgsl"), &[("T", NUMERIC)]),
    shader("random", include_str!("../wgsl/random.wgsl"), &[]),
];

/// The registry entry for `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Shader> {
    SHADERS.iter().find(|s| s.name == name)
}

/// The full WGSL source of `shader` with its type aliases bound, e.g. `[("T", "f32")]`.
pub fn specialize(shader: &Shader, types: &[(&str, &str)]) -> String {
    let mut out = String::new();
    if types.iter().any(|(_, t)| *t == "f16") {
        out.push_str("enable f16;\n");
    }
    for (alias, ty) in types {
        out.push_str(&format!("alias {alias} = {ty};\n"));
    }
    out.push_str(PRELUDE);
    out.push('\n');
    out.push_str(shader.source);
    out
}

/// Every specialization of every shader the registry declares: what the validation test checks.
pub fn all_specializations() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for shader in SHADERS {
        let mut combos: Vec<Vec<(&str, &str)>> = vec![vec![]];
        for (alias, types) in shader.type_params {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    types.iter().map(move |t| {
                        let mut c = c.clone();
                        c.push((*alias, *t));
                        c
                    })
                })
                .collect();
        }
        for combo in combos {
            let label = format!("{}{:?}", shader.name, combo);
            out.push((label, specialize(shader, &combo)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shader_validates_with_naga() {
        let mut failures = Vec::new();
        for (label, source) in all_specializations() {
            let module = match naga::front::wgsl::parse_str(&source) {
                Ok(m) => m,
                Err(e) => {
                    failures.push(format!("{label}: parse: {}", e.emit_to_string(&source)));
                    continue;
                }
            };
            let mut validator = naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::all(),
            );
            if let Err(e) = validator.validate(&module) {
                failures.push(format!("{label}: validate: {}", e.emit_to_string(&source)));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn registry_names_are_unique() {
        let mut names: Vec<_> = SHADERS.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SHADERS.len());
    }
}
