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

/// The f32 formulas of the elementwise ops (unary functions, divide, power, NaN-propagating
/// maximum/minimum), shared by the eager kernels and the generated fused kernels.
pub const OPS_FLOAT: &str = include_str!("../wgsl/ops_float.wgsl");

/// The formulas that work in the element type `T` itself (integer unary functions, add ...
/// integer power, comparisons), written once over `T`; see [`generic_ops`].
pub const OPS_GENERIC: &str = include_str!("../wgsl/ops_generic.wgsl");

/// A kernel source with the f32 op formulas in front.
macro_rules! with_float_ops {
    ($path:literal) => {
        concat!(include_str!("../wgsl/ops_float.wgsl"), "\n", include_str!($path))
    };
}

/// A kernel source with the generic op formulas (over its alias `T`) in front.
macro_rules! with_generic_ops {
    ($path:literal) => {
        concat!(include_str!("../wgsl/ops_generic.wgsl"), "\n", include_str!($path))
    };
}

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
    shader("unary_float", with_float_ops!("../wgsl/unary_float.wgsl"), &[("T", FLOATS)]),
    shader("unary_int", with_generic_ops!("../wgsl/unary_int.wgsl"), &[("T", &["i32", "u32"])]),
    shader("binary", with_generic_ops!("../wgsl/binary.wgsl"), &[("T", NUMERIC)]),
    shader("binary_float", with_float_ops!("../wgsl/binary_float.wgsl"), &[("T", FLOATS)]),
    shader("compare", with_generic_ops!("../wgsl/compare.wgsl"), &[("T", NUMERIC)]),
    shader("where", include_str!("../wgsl/where.wgsl"), &[("T", ALL)]),
    shader("cast", include_str!("../wgsl/cast.wgsl"), &[("T", ALL), ("O", ALL)]),
    shader("fill", include_str!("../wgsl/fill.wgsl"), &[("T", ALL)]),
    shader("strided_copy", include_str!("../wgsl/strided_copy.wgsl"), &[("T", ALL)]),
    shader("reduce", include_str!("../wgsl/reduce.wgsl"), &[("T", ALL), ("A", &["f32", "i32", "u32"])]),
    shader("scan", include_str!("../wgsl/scan.wgsl"), &[("T", ALL), ("A", &["f32", "i32", "u32"])]),
    shader("matmul", with_float_ops!("../wgsl/matmul.wgsl"), &[("T", NUMERIC)]),
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

/// [`OPS_GENERIC`] instantiated for the concrete WGSL type `ty` (`"i32"`, `"u32"`, `"f32"`,
/// `"f16"`): the identifier `T` becomes `ty` and every function `name_T` becomes `name_<ty>`,
/// so one module can hold the formulas for several types (`binary_i32`, `binary_f32`, ...).
pub fn generic_ops(ty: &str) -> String {
    let src = OPS_GENERIC;
    let mut out = String::with_capacity(src.len() + 64);
    let mut chars = src.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_ascii_alphabetic() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some(&(i, d)) = chars.peek() {
                if !(d.is_ascii_alphanumeric() || d == '_') {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
            let ident = &src[start..end];
            if ident == "T" {
                out.push_str(ty);
            } else if let Some(stem) = ident.strip_suffix("_T") {
                out.push_str(stem);
                out.push('_');
                out.push_str(ty);
            } else {
                out.push_str(ident);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The common head of a generated kernel (e.g. a fused elementwise program): `enable f16;`
/// where needed, the params binding (binding 0, as in every kernel), the prelude, the f32 op
/// formulas and the generic ones for each of `types`.
pub fn generated_prefix(types: &[&str]) -> String {
    let mut out = String::new();
    if types.contains(&"f16") {
        out.push_str("enable f16;\n");
    }
    out.push_str("@group(0) @binding(0) var<storage, read> params: array<u32>;\n");
    out.push_str(PRELUDE);
    out.push('\n');
    out.push_str(OPS_FLOAT);
    for ty in types {
        out.push('\n');
        out.push_str(&generic_ops(ty));
    }
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
    fn generic_ops_instantiate_for_every_type_in_one_module() {
        let source = format!(
            "{}\n@compute @workgroup_size(1) fn main() {{}}",
            generated_prefix(&["f32", "f16", "i32", "u32"])
        );
        assert!(source.contains("fn binary_i32(") && source.contains("fn compare_f16("));
        let module = naga::front::wgsl::parse_str(&source).map_err(|e| e.emit_to_string(&source)).unwrap();
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
            .validate(&module)
            .map_err(|e| e.emit_to_string(&source))
            .unwrap();
    }

    #[test]
    fn registry_names_are_unique() {
        let mut names: Vec<_> = SHADERS.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SHADERS.len());
    }
}
