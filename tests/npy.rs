//! NumPy `.npy`/`.npz` files: fixtures written by real NumPy (tests/data/npy, made by
//! make_fixtures.py there), round trips through tensors on every backend, and bad files.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use half::f16;
use wgkeras::frontend::error::Error;
use wgkeras::frontend::utils::npy::{
    load_npy, load_npz, read_npy, read_npz, save_npy, savez, savez_compressed, write_npy, write_npz,
    NpyArray, NpyDType, NpyData,
};
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/npy").join(name)
}

fn ints() -> Vec<i32> {
    (0..6).map(|i| i - 2).collect()
}

fn floats() -> Vec<f64> {
    (0..6).map(|i| i as f64 * 0.5 - 1.0).collect()
}

#[test]
fn numpy_fixtures_each_dtype() {
    let dev = Device::Cpu;
    let cases: Vec<(&str, NpyDType, DType, CpuStorage)> = vec![
        ("bool", NpyDType::Bool, DType::Bool, CpuStorage::Bool((0..6).map(|i| i % 2 == 0).collect())),
        ("int8", NpyDType::I8, DType::I32, CpuStorage::I32(ints())),
        ("int16", NpyDType::I16, DType::I32, CpuStorage::I32(ints())),
        ("int32", NpyDType::I32, DType::I32, CpuStorage::I32(ints())),
        ("int64", NpyDType::I64, DType::I32, CpuStorage::I32(ints())),
        ("int32_be", NpyDType::I32, DType::I32, CpuStorage::I32(ints())),
        ("uint8", NpyDType::U8, DType::I32, CpuStorage::I32((0..6).collect())),
        ("uint16", NpyDType::U16, DType::I32, CpuStorage::I32((0..6).collect())),
        ("uint32", NpyDType::U32, DType::U32, CpuStorage::U32((0..6).collect())),
        ("uint64", NpyDType::U64, DType::I32, CpuStorage::I32((0..6).collect())),
        (
            "float16",
            NpyDType::F16,
            DType::F16,
            CpuStorage::F16(floats().into_iter().map(f16::from_f64).collect()),
        ),
        (
            "float32",
            NpyDType::F32,
            DType::F32,
            CpuStorage::F32(floats().into_iter().map(|v| v as f32).collect()),
        ),
        ("float64", NpyDType::F64, DType::F64, CpuStorage::F64(floats())),
        ("float64_be", NpyDType::F64, DType::F64, CpuStorage::F64(floats())),
    ];
    for (name, npy_dtype, dtype, expected) in cases {
        let path = fixture(&format!("{name}.npy"));
        let array = read_npy(&path).unwrap();
        assert_eq!(array.dtype(), npy_dtype, "{name}");
        assert_eq!(array.shape(), &[2, 3], "{name}");
        let t = load_npy(&path, &dev).unwrap();
        assert_eq!(t.dtype(), dtype, "{name}");
        assert_eq!(t.shape(), &[2, 3], "{name}");
        assert_eq!(t.to_cpu_storage().unwrap(), expected, "{name}");
    }
}

#[test]
fn numpy_fixtures_layouts_and_versions() {
    let dev = Device::Cpu;
    // Fortran order comes back in C order.
    let t = load_npy(fixture("fortran_f32.npy"), &dev).unwrap();
    assert_eq!(t.shape(), &[3, 4]);
    assert_eq!(t.to_vec::<f32>().unwrap(), (0..12).map(|i| i as f32).collect::<Vec<_>>());
    let t = load_npy(fixture("fortran_i16_3d.npy"), &dev).unwrap();
    assert_eq!(t.shape(), &[2, 3, 4]);
    assert_eq!(t.to_vec::<i32>().unwrap(), (0..24).collect::<Vec<i32>>());
    // Versions 2.0 and 3.0.
    for v in ["v2.npy", "v3.npy"] {
        let t = load_npy(fixture(v), &dev).unwrap();
        assert_eq!(t.shape(), &[4]);
        assert_eq!(t.to_vec::<f32>().unwrap(), vec![0.0, 1.0, 2.0, 3.0]);
    }
    let t = load_npy(fixture("scalar_f64.npy"), &dev).unwrap();
    assert_eq!(t.shape(), &[] as &[usize]);
    assert_eq!(t.item().unwrap(), 3.25);
    let t = load_npy(fixture("empty_f32.npy"), &dev).unwrap();
    assert_eq!(t.shape(), &[0, 3]);
    assert_eq!(t.dtype(), DType::F32);
    let t = load_npy(fixture("vector_i32.npy"), &dev).unwrap();
    assert_eq!(t.to_vec::<i32>().unwrap(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn numpy_npz_fixtures() {
    for dev in common::devices() {
        let m = load_npz(fixture("stored.npz"), &dev).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(m["a"].shape(), &[2, 3]);
        assert_eq!(m["a"].to_vec::<f32>().unwrap(), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(m["b"].to_vec::<bool>().unwrap(), vec![true, false]);

        let m = load_npz(fixture("compressed.npz"), &dev).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), vec!["arr_0", "x"]);
        assert_eq!(m["arr_0"].to_vec::<i32>().unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(m["x"].shape(), &[2, 2]);
        assert_eq!(m["x"].to_vec::<i32>().unwrap(), vec![7; 4]);
    }
    let raw = read_npz(fixture("compressed.npz")).unwrap();
    assert_eq!(raw["arr_0"].dtype(), NpyDType::I64);
    assert_eq!(raw["x"].dtype(), NpyDType::U8);
}

fn sample_tensors(dev: &Device) -> Vec<(String, Tensor)> {
    let mut rng = common::Rng::new(11);
    let mut out = Vec::new();
    for (i, dims) in
        [vec![3, 5], vec![1], vec![], vec![0, 4], vec![2, 1, 7], vec![17]].into_iter().enumerate()
    {
        for dtype in [DType::F32, DType::I32, DType::U32, DType::Bool, DType::F16, DType::F64] {
            if dev.check_dtype_ok(dtype) {
                out.push((
                    format!("t{i}_{dtype}"),
                    common::rand_tensor(&mut rng, &dims, -100.0, 100.0, dtype, dev),
                ));
            }
        }
    }
    out
}

trait DtypeOk {
    fn check_dtype_ok(&self, dtype: DType) -> bool;
}

impl DtypeOk for Device {
    fn check_dtype_ok(&self, dtype: DType) -> bool {
        Tensor::from_cpu(CpuStorage::zeros(dtype, 1), &[1], self).is_ok()
    }
}

#[test]
fn npy_round_trips_on_every_device() {
    let dir = tempfile::tempdir().unwrap();
    for dev in common::devices() {
        for (name, t) in sample_tensors(&dev) {
            let path = dir.path().join(format!("{name}.npy"));
            save_npy(&path, &t).unwrap();
            let back = load_npy(&path, &dev).unwrap();
            assert_eq!(back.dtype(), t.dtype(), "{name}");
            assert_eq!(back.shape(), t.shape(), "{name}");
            assert_eq!(
                back.to_cpu_storage().unwrap(),
                t.to_cpu_storage().unwrap(),
                "{name} on {}",
                dev.name()
            );
            // The header is 64-byte aligned, version 1.0.
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(bytes[6], 1);
            let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            assert_eq!((10 + hlen) % 64, 0);
        }
    }
    // No temporary files left beside the outputs.
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with('.')));
}

#[test]
fn npy_all_file_dtypes_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let datas = vec![
        NpyData::Bool(vec![true, false, true, true]),
        NpyData::I8(vec![-128, 0, 5, 127]),
        NpyData::U8(vec![0, 1, 200, 255]),
        NpyData::I16(vec![-32768, 0, 5, 32767]),
        NpyData::U16(vec![0, 1, 60000, 65535]),
        NpyData::I32(vec![i32::MIN, 0, 5, i32::MAX]),
        NpyData::U32(vec![0, 1, 3_000_000_000, u32::MAX]),
        NpyData::I64(vec![i64::MIN, 0, 5, i64::MAX]),
        NpyData::U64(vec![0, 1, 5, u64::MAX]),
        NpyData::F16(vec![f16::from_f32(-1.5), f16::ZERO, f16::INFINITY, f16::from_f32(65504.0)]),
        NpyData::F32(vec![-1.5, 0.0, f32::INFINITY, 1e-30]),
        NpyData::F64(vec![-1.5, 0.0, f64::NEG_INFINITY, 1e-300]),
    ];
    for data in datas {
        let a = NpyArray::new(&[2, 2], data).unwrap();
        let path = dir.path().join(format!("{}.npy", a.dtype()));
        write_npy(&path, &a).unwrap();
        assert_eq!(read_npy(&path).unwrap(), a);
    }
    // Wrong element count for the shape.
    assert!(NpyArray::new(&[3], NpyData::F32(vec![1.0])).is_err());
    // int64 beyond int32: an Err naming the value (and the file when loading).
    let big = NpyArray::new(&[2], NpyData::I64(vec![1, 1 << 40])).unwrap();
    let err = big.to_tensor(&Device::Cpu).unwrap_err();
    assert!(err.to_string().contains("1099511627776"), "{err}");
    let err = load_npy(fixture("int64_big.npy"), &Device::Cpu).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("int64_big.npy") && msg.contains("1099511627776"), "{msg}");
    // bfloat16 tensors are written as float32.
    let t =
        Tensor::from_cpu(CpuStorage::BF16(vec![half::bf16::from_f32(1.5); 3]), &[3], &Device::Cpu).unwrap();
    let path = dir.path().join("bf16.npy");
    save_npy(&path, &t).unwrap();
    let back = load_npy(&path, &Device::Cpu).unwrap();
    assert_eq!(back.dtype(), DType::F32);
    assert_eq!(back.to_vec::<f32>().unwrap(), vec![1.5; 3]);
}

#[test]
fn npy_large_header_uses_version_2() {
    // A shape with enough dims that the header passes 65535 bytes.
    let dims = vec![1usize; 25_000];
    let a = NpyArray::new(&dims, NpyData::F32(vec![2.5])).unwrap();
    let bytes = a.to_npy_bytes();
    assert_eq!(bytes[6], 2);
    let hlen = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    assert!(hlen > 65535);
    assert_eq!((12 + hlen) % 64, 0);
    assert_eq!(NpyArray::from_npy_bytes(&bytes, Path::new("mem.npy")).unwrap(), a);
}

#[test]
fn npz_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for dev in common::devices() {
        let tensors = sample_tensors(&dev);
        let pairs: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
        for compressed in [false, true] {
            let path = dir.path().join(format!("all_{compressed}.npz"));
            if compressed {
                savez_compressed(&path, &pairs).unwrap();
            } else {
                savez(&path, &pairs).unwrap();
            }
            let back: BTreeMap<String, Tensor> = load_npz(&path, &dev).unwrap();
            assert_eq!(back.len(), tensors.len());
            for (name, t) in &tensors {
                let b = &back[name];
                assert_eq!(b.shape(), t.shape(), "{name}");
                assert_eq!(b.to_cpu_storage().unwrap(), t.to_cpu_storage().unwrap(), "{name}");
            }
        }
    }
    // Raw arrays keep their file dtype.
    let a = NpyArray::new(&[3], NpyData::I64(vec![1, 2, 3])).unwrap();
    let path = dir.path().join("raw.npz");
    write_npz(&path, &[("wide", &a)], true).unwrap();
    assert_eq!(read_npz(&path).unwrap()["wide"], a);
    // Names given twice, or empty.
    let t = Tensor::from_vec(vec![1.0f32], &[1], &Device::Cpu).unwrap();
    assert!(matches!(
        savez(dir.path().join("dup.npz"), &[("a", &t), ("a", &t)]),
        Err(Error::Argument { .. })
    ));
    assert!(savez(dir.path().join("empty.npz"), &[("", &t)]).is_err());
    assert!(!dir.path().join("dup.npz").exists());

    // Optional: leave files for a check with real NumPy.
    if let Some(out) = std::env::var_os("WGKERAS_NPY_OUT") {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        let cpu = sample_tensors(&Device::Cpu);
        for (name, t) in &cpu {
            save_npy(out.join(format!("{name}.npy")), t).unwrap();
        }
        let pairs: Vec<(&str, &Tensor)> = cpu.iter().map(|(n, t)| (n.as_str(), t)).collect();
        savez(out.join("stored.npz"), &pairs).unwrap();
        savez_compressed(out.join("compressed.npz"), &pairs).unwrap();
        for (name, t) in &cpu {
            let v = t.to_vec_f64().unwrap();
            std::fs::write(out.join(format!("{name}.txt")), format!("{:?}\n{:?}", t.shape(), v)).unwrap();
        }
    }
}

fn expect_format_err(path: &Path, needle: &str) {
    let err = read_npy(path).unwrap_err();
    assert!(matches!(err, Error::Format { .. }), "{}: {err}", path.display());
    let msg = err.to_string();
    let fname = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(msg.contains(&fname), "{msg}");
    assert!(msg.contains(needle), "{msg} (wanted {needle:?})");
    // The tensor loader says the same.
    let err = load_npy(path, &Device::Cpu).unwrap_err();
    assert!(err.to_string().contains(&fname), "{err}");
}

#[test]
fn bad_files_name_the_file() {
    // Unsupported dtypes written by NumPy.
    expect_format_err(&fixture("complex64.npy"), "unsupported dtype");
    expect_format_err(&fixture("unicode.npy"), "unsupported dtype");
    expect_format_err(&fixture("structured.npy"), "unsupported dtype");

    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("float32.npy")).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    // Truncated data.
    expect_format_err(&write("short.npy", &good[..good.len() - 3]), "truncated data");
    // Truncated header.
    expect_format_err(&write("cut_header.npy", &good[..40]), "truncated header");
    // Not a .npy at all; empty.
    expect_format_err(&write("text.npy", b"hello, world, this is text"), "magic");
    expect_format_err(&write("empty.npy", b""), "magic");
    // Unknown version.
    let mut v9 = good.clone();
    v9[6] = 9;
    expect_format_err(&write("v9.npy", &v9), "version 9.0");
    // Corrupt header texts.
    let header_file = |name: &str, dict: &str| {
        let mut h = dict.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(&[0u8; 64]);
        write(name, &b)
    };
    expect_format_err(
        &header_file("garbage.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,"),
        "corrupt header",
    );
    expect_format_err(&header_file("noshape.npy", "{'descr': '<f4', 'fortran_order': False}"), "'shape'");
    expect_format_err(
        &header_file("badshape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"),
        "-1",
    );
    expect_format_err(
        &header_file("badorder.npy", "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}"),
        "fortran_order",
    );
    expect_format_err(&header_file("list.npy", "['descr', '<f4']"), "not a dict");
    expect_format_err(
        &header_file("odd.npy", "{'descr': '<f7', 'fortran_order': False, 'shape': (1,)}"),
        "\"<f7\"",
    );
    expect_format_err(
        &header_file(
            "huge.npy",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}",
        ),
        "too many elements",
    );
    // A header that announces more data than there is.
    expect_format_err(
        &header_file("more.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (100,)}"),
        "truncated data",
    );
    // A missing file: an I/O error naming it.
    let err = read_npy(dir.path().join("nope.npy")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("nope.npy"), "{err}");

    // .npz: not a zip, a member that is not .npy data, a truncated zip.
    let err = read_npz(write("bad.npz", b"not a zip")).unwrap_err();
    assert!(err.to_string().contains("bad.npz"), "{err}");
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("x.npy", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut z, b"garbage").unwrap();
    let bytes = z.finish().unwrap().into_inner();
    let err = load_npz(write("member.npz", &bytes), &Device::Cpu).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("member.npz") && msg.contains("x.npy"), "{msg}");
    let stored = std::fs::read(fixture("stored.npz")).unwrap();
    let err = read_npz(write("cut.npz", &stored[..stored.len() / 2])).unwrap_err();
    assert!(err.to_string().contains("cut.npz"), "{err}");
    let err = load_npz(fixture("compressed.npz"), &Device::Cpu).map(|_| ());
    assert!(err.is_ok());
}
