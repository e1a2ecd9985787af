//! Fused elementwise programs: `ops::fused` against the same ops run one by one, on both
//! backends, with random programs, broadcasting, odd and empty sizes, several outputs,
//! integer/bool programs, bad programs, pipeline reuse and captured plans; plus naga validation
//! of the generated WGSL.

mod common;

use common::*;
use wgkeras::ops::{self, BinaryOp, CompareOp, FusedInstr as I, FusedProgram, UnaryOp};
use wgkeras::runtime::{DType, Device, Result, Tensor};

const UNARY: [UnaryOp; 22] = [
    UnaryOp::Negative,
    UnaryOp::Abs,
    UnaryOp::Sign,
    UnaryOp::Exp,
    UnaryOp::Expm1,
    UnaryOp::Log,
    UnaryOp::Log1p,
    UnaryOp::Sqrt,
    UnaryOp::Rsqrt,
    UnaryOp::Square,
    UnaryOp::Reciprocal,
    UnaryOp::Sin,
    UnaryOp::Cos,
    UnaryOp::Tan,
    UnaryOp::Tanh,
    UnaryOp::Sigmoid,
    UnaryOp::Relu,
    UnaryOp::Softplus,
    UnaryOp::Erf,
    UnaryOp::Floor,
    UnaryOp::Ceil,
    UnaryOp::Round,
];
const BINARY: [BinaryOp; 7] = [
    BinaryOp::Add,
    BinaryOp::Subtract,
    BinaryOp::Multiply,
    BinaryOp::Divide,
    BinaryOp::Power,
    BinaryOp::Maximum,
    BinaryOp::Minimum,
];
const COMPARE: [CompareOp; 8] = [
    CompareOp::Equal,
    CompareOp::NotEqual,
    CompareOp::Greater,
    CompareOp::GreaterEqual,
    CompareOp::Less,
    CompareOp::LessEqual,
    CompareOp::LogicalAnd,
    CompareOp::LogicalOr,
];
const GPU_DTYPES: [DType; 4] = [DType::F32, DType::I32, DType::U32, DType::Bool];

/// The program run as eager ops one by one (inputs and outputs broadcast to `dims`).
fn eager(program: &FusedProgram, inputs: &[&Tensor], dims: &[usize]) -> Result<Vec<Tensor>> {
    let dev = inputs[0].device();
    let mut regs: Vec<Tensor> = Vec::new();
    for instr in &program.instrs {
        let t = match *instr {
            I::Input(i) => ops::broadcast_to(inputs[i], dims)?,
            I::Const(v, d) => ops::full(&[], v, d, &dev)?,
            I::Unary(op, a) => ops::unary(op, &regs[a])?,
            I::Binary(op, a, b) => ops::binary(op, &regs[a], &regs[b])?,
            I::Compare(op, a, b) => ops::compare(op, &regs[a], &regs[b])?,
            I::Select(c, a, b) => ops::where_(&regs[c], &regs[a], &regs[b])?,
            I::Cast(d, a) => ops::cast(&regs[a], d)?,
        };
        regs.push(t);
    }
    program.outputs.iter().map(|&o| ops::broadcast_to(&regs[o], dims)).collect()
}

/// A random program of `len` instructions over `n_inputs` inputs, every output the last few
/// registers.
fn random_program(rng: &mut Rng, n_inputs: usize, len: usize, dtypes: &[DType]) -> FusedProgram {
    let mut instrs: Vec<I> = (0..n_inputs).map(I::Input).collect();
    while instrs.len() < n_inputs + len {
        let r = instrs.len();
        let (a, b, c) = (rng.below(r), rng.below(r), rng.below(r));
        let instr = match rng.below(12) {
            0..=2 => I::Unary(UNARY[rng.below(UNARY.len())], a),
            3..=6 => I::Binary(BINARY[rng.below(BINARY.len())], a, b),
            7 => I::Compare(COMPARE[rng.below(COMPARE.len())], a, b),
            8 => I::Select(a, b, c),
            9 => I::Cast(dtypes[rng.below(dtypes.len())], a),
            _ => {
                // (Negative constants of uint32 differ between eager `full` on CPU, which
                // saturates to 0, and on GPU, which wraps; fused saturates on both.)
                let d = dtypes[rng.below(dtypes.len())];
                let v = (rng.uniform(-3.0, 3.0) * 4.0).round() / 4.0;
                I::Const(if d == DType::U32 { v.abs() } else { v }, d)
            }
        };
        instrs.push(instr);
    }
    let n = instrs.len();
    let outputs = (0..1 + rng.below(3)).map(|k| n - 1 - k.min(n - 1)).collect();
    FusedProgram { instrs, outputs }
}

/// Checks fused against eager on `dev` (exact on the CPU; on the GPU within a small tolerance,
/// the compiler may contract a * b + c). Returns false when the eager chain errs (then fused
/// must err too).
fn check(what: &str, program: &FusedProgram, inputs: &[Tensor], dims: &[usize], dev: &Device) -> bool {
    let ins: Vec<Tensor> = inputs.iter().map(|t| t.to_device(dev).unwrap()).collect();
    let refs: Vec<&Tensor> = ins.iter().collect();
    let want = eager(program, &refs, dims);
    let got = ops::fused(program, &refs, dims);
    let (want, got) = match (want, got) {
        (Err(_), Err(e)) => {
            assert!(e.to_string().contains("fused"), "{what}: error does not name fused: {e}");
            return false;
        }
        (Err(e), Ok(_)) => {
            panic!("{what} on {}: eager fails ({e}) but fused succeeds\n{program:?}", dev.name())
        }
        (Ok(_), Err(e)) => panic!("{what} on {}: fused fails: {e}\n{program:?}", dev.name()),
        (Ok(w), Ok(g)) => (w, g),
    };
    assert_eq!(want.len(), got.len());
    let (rtol, atol) = if dev.is_gpu() { (1e-4, 1e-5) } else { (0.0, 0.0) };
    for (k, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(g.device(), *dev, "{what}: output {k} is on another device");
        let (w, g) = (w.to_device(&Device::Cpu).unwrap(), g.to_device(&Device::Cpu).unwrap());
        let ctx = format!("{what} output {k} on {}\n{program:?}", dev.name());
        assert_close(&ctx, &g, &w, rtol, atol);
    }
    true
}

fn random_inputs(rng: &mut Rng, shapes: &[&[usize]], dtypes: &[DType]) -> Vec<Tensor> {
    shapes
        .iter()
        .map(|s| {
            let d = dtypes[rng.below(dtypes.len())];
            let (lo, hi) = if d == DType::U32 || d == DType::Bool { (0.0, 4.0) } else { (-3.0, 3.0) };
            rand_tensor(rng, s, lo, hi, d, &Device::Cpu)
        })
        .collect()
}

#[test]
fn random_programs_match_the_eager_chain_on_every_backend() {
    let mut rng = Rng::new(2024);
    let cases: &[(&[usize], &[&[usize]])] = &[
        (&[37], &[&[37], &[37], &[]]),
        (&[5, 9], &[&[5, 9], &[5, 1], &[1, 9]]),
        (&[3, 4, 7], &[&[3, 4, 7], &[4, 7], &[7], &[1]]),
        (&[2049], &[&[2049], &[1], &[2049]]),
        (&[2, 3, 1031], &[&[2, 3, 1031], &[2, 1, 1031], &[]]),
    ];
    let mut ran = 0;
    for round in 0..60 {
        let (dims, shapes) = cases[round % cases.len()];
        let dtypes: &[DType] = if round % 3 == 0 { &[DType::F32] } else { &GPU_DTYPES };
        let inputs = random_inputs(&mut rng, shapes, dtypes);
        let len = 4 + rng.below(8);
        let program = random_program(&mut rng, inputs.len(), len, &GPU_DTYPES);
        for dev in devices() {
            if check(&format!("round {round}"), &program, &inputs, dims, &dev) {
                ran += 1;
            }
        }
    }
    assert!(ran > 40, "only {ran} random programs were valid");
}

#[test]
fn cpu_only_dtypes_match_the_eager_chain() {
    let mut rng = Rng::new(77);
    let dtypes = [DType::F16, DType::BF16, DType::F64, DType::F32, DType::I32];
    let mut ran = 0;
    for round in 0..40 {
        let inputs = random_inputs(&mut rng, &[&[4, 33], &[33], &[4, 1]], &dtypes);
        let len = 4 + rng.below(8);
        let program = random_program(&mut rng, inputs.len(), len, &dtypes);
        if check(&format!("round {round}"), &program, &inputs, &[4, 33], &Device::Cpu) {
            ran += 1;
        }
    }
    assert!(ran > 20, "only {ran} random programs were valid");
}

/// An Adam-like update: 3 outputs from 5 inputs (2 scalars).
fn adam_program() -> FusedProgram {
    FusedProgram {
        instrs: vec![
            I::Input(0),                           // 0 param
            I::Input(1),                           // 1 grad
            I::Input(2),                           // 2 m
            I::Input(3),                           // 3 v
            I::Input(4),                           // 4 lr (scalar)
            I::Const(0.9, DType::F32),             // 5
            I::Const(0.1, DType::F32),             // 6
            I::Binary(BinaryOp::Multiply, 2, 5),   // 7 m * b1
            I::Binary(BinaryOp::Multiply, 1, 6),   // 8 g * (1 - b1)
            I::Binary(BinaryOp::Add, 7, 8),        // 9 m'
            I::Const(0.999, DType::F32),           // 10
            I::Const(0.001, DType::F32),           // 11
            I::Binary(BinaryOp::Multiply, 3, 10),  // 12
            I::Unary(UnaryOp::Square, 1),          // 13
            I::Binary(BinaryOp::Multiply, 13, 11), // 14
            I::Binary(BinaryOp::Add, 12, 14),      // 15 v'
            I::Unary(UnaryOp::Sqrt, 15),           // 16
            I::Const(1e-7, DType::F32),            // 17
            I::Binary(BinaryOp::Add, 16, 17),      // 18
            I::Binary(BinaryOp::Divide, 9, 18),    // 19
            I::Binary(BinaryOp::Multiply, 19, 4),  // 20
            I::Binary(BinaryOp::Subtract, 0, 20),  // 21 param'
        ],
        outputs: vec![21, 9, 15],
    }
}

#[test]
fn adam_update_and_loss_and_relu_backward() {
    let mut rng = Rng::new(5);
    for n in [1usize, 7, 1023, 1025, 16385, 100_003] {
        let mut inputs: Vec<Tensor> =
            (0..4).map(|_| rand_tensor(&mut rng, &[n], -1.0, 1.0, DType::F32, &Device::Cpu)).collect();
        inputs[3] = ops::abs(&inputs[3]).unwrap();
        inputs.push(rand_tensor(&mut rng, &[], 0.001, 0.01, DType::F32, &Device::Cpu));
        for dev in devices() {
            check(&format!("adam n={n}"), &adam_program(), &inputs, &[n], &dev);
        }
    }
    // Loss prep: (y - t)^2 / n, and relu backward: g * (x > 0) with a bool-to-float promotion.
    let loss = FusedProgram {
        instrs: vec![
            I::Input(0),
            I::Input(1),
            I::Binary(BinaryOp::Subtract, 0, 1),
            I::Unary(UnaryOp::Square, 2),
            I::Const(0.25, DType::F32),
            I::Binary(BinaryOp::Multiply, 3, 4),
        ],
        outputs: vec![5],
    };
    let relu_bwd = FusedProgram {
        instrs: vec![
            I::Input(0),
            I::Input(1),
            I::Const(0.0, DType::F32),
            I::Compare(CompareOp::Greater, 1, 2),
            I::Binary(BinaryOp::Multiply, 0, 3),
        ],
        outputs: vec![4],
    };
    let a = rand_tensor(&mut rng, &[64, 10], -2.0, 2.0, DType::F32, &Device::Cpu);
    let b = rand_tensor(&mut rng, &[64, 10], -2.0, 2.0, DType::F32, &Device::Cpu);
    for dev in devices() {
        check("loss", &loss, &[a.clone(), b.clone()], &[64, 10], &dev);
        check("relu backward", &relu_bwd, &[a.clone(), b.clone()], &[64, 10], &dev);
    }
}

#[test]
fn broadcasting_scalars_rows_columns_and_batches() {
    let mut rng = Rng::new(9);
    let p = FusedProgram {
        instrs: vec![
            I::Input(0),
            I::Input(1),
            I::Input(2),
            I::Binary(BinaryOp::Multiply, 0, 1),
            I::Binary(BinaryOp::Add, 3, 2),
            I::Unary(UnaryOp::Tanh, 4),
            I::Compare(CompareOp::Less, 0, 1),
            I::Select(6, 5, 2),
        ],
        outputs: vec![7, 5, 0],
    };
    let cases: &[(&[usize], [&[usize]; 3])] = &[
        (&[], [&[], &[], &[]]),
        (&[6], [&[], &[6], &[1]]),
        (&[7, 5], [&[7, 1], &[1, 5], &[]]),
        (&[7, 5], [&[7, 5], &[5], &[7, 1]]),
        (&[4, 3, 9], [&[4, 3, 9], &[3, 9], &[9]]),
        (&[4, 3, 9], [&[4, 1, 9], &[1, 3, 1], &[4, 3, 9]]),
        (&[2, 1, 3, 1, 5], [&[1, 3, 1, 5], &[2, 1, 1, 1, 1], &[5]]),
        (&[300, 257], [&[300, 1], &[257], &[300, 257]]),
        (&[3, 0, 4], [&[3, 1, 4], &[0, 1], &[]]),
        (&[0], [&[0], &[], &[1]]),
    ];
    for (dims, shapes) in cases {
        let inputs = random_inputs(&mut rng, shapes, &[DType::F32]);
        for dev in devices() {
            check(&format!("dims {dims:?} inputs {shapes:?}"), &p, &inputs, dims, &dev);
        }
    }
}

#[test]
fn int_and_bool_programs_and_several_outputs() {
    let mut rng = Rng::new(13);
    // Integer chain with wrapping, integer power, bool logic, a divide that becomes float32,
    // the same register twice, an input and a constant as outputs.
    let p = FusedProgram {
        instrs: vec![
            I::Input(0),                            // 0 i32
            I::Input(1),                            // 1 u32
            I::Input(2),                            // 2 bool
            I::Binary(BinaryOp::Multiply, 0, 0),    // 3 i32
            I::Binary(BinaryOp::Power, 0, 1),       // 4 i32 (promote i32, u32)
            I::Binary(BinaryOp::Add, 2, 2),         // 5 bool or
            I::Binary(BinaryOp::Multiply, 2, 5),    // 6 bool and
            I::Binary(BinaryOp::Divide, 0, 1),      // 7 f32
            I::Unary(UnaryOp::Negative, 1),         // 8 u32 wraps
            I::Unary(UnaryOp::Sign, 0),             // 9 i32
            I::Unary(UnaryOp::Sqrt, 1),             // 10 f32
            I::Compare(CompareOp::LogicalOr, 2, 0), // 11 bool
            I::Select(11, 8, 4),                    // 12 i32
            I::Const(2.0, DType::U32),              // 13
            I::Binary(BinaryOp::Maximum, 1, 13),    // 14 u32
            I::Cast(DType::Bool, 0),                // 15
            I::Unary(UnaryOp::Abs, 2),              // 16 bool stays bool
            I::Binary(BinaryOp::Minimum, 15, 16),   // 17 bool
            I::Cast(DType::U32, 0),                 // 18 wraps negatives
        ],
        outputs: vec![3, 4, 6, 7, 8, 9, 10, 12, 12, 14, 17, 18, 0, 13],
    };
    for dims in [&[1usize][..], &[5, 33], &[1030]] {
        let inputs = vec![
            rand_tensor(&mut rng, dims, -9.0, 9.0, DType::I32, &Device::Cpu),
            rand_tensor(&mut rng, dims, 0.0, 12.0, DType::U32, &Device::Cpu),
            rand_tensor(&mut rng, &[], 0.0, 2.0, DType::Bool, &Device::Cpu),
        ];
        for dev in devices() {
            // Too many outputs for one kernel on some adapters: split the outputs then.
            for outs in p.outputs.chunks(4) {
                let q = FusedProgram { instrs: p.instrs.clone(), outputs: outs.to_vec() };
                check(&format!("int/bool {dims:?} outputs {outs:?}"), &q, &inputs, dims, &dev);
            }
        }
    }
}

#[test]
fn size_zero_gives_empty_outputs_of_the_right_dtype() {
    let p = FusedProgram {
        instrs: vec![I::Input(0), I::Unary(UnaryOp::Exp, 0), I::Compare(CompareOp::Less, 0, 1)],
        outputs: vec![1, 2],
    };
    for dev in devices() {
        let x = ops::zeros(&[3, 0], DType::I32, &dev).unwrap();
        let out = ops::fused(&p, &[&x], &[3, 0]).unwrap();
        assert_eq!(out[0].dims(), &[3, 0]);
        assert_eq!(out[0].dtype(), DType::F32);
        assert_eq!(out[1].dtype(), DType::Bool);
        assert_eq!(out[1].to_vec_f64().unwrap().len(), 0);
    }
}

#[test]
fn bad_programs_are_errors_naming_fused() {
    let x = ops::ones(&[4], DType::F32, &Device::Cpu).unwrap();
    let b = ops::ones(&[4], DType::Bool, &Device::Cpu).unwrap();
    let bad: Vec<(FusedProgram, Vec<&Tensor>, Vec<usize>, &str)> = vec![
        (
            FusedProgram { instrs: vec![I::Unary(UnaryOp::Exp, 0)], outputs: vec![0] },
            vec![&x],
            vec![4],
            "register 0",
        ),
        (
            FusedProgram { instrs: vec![I::Input(0), I::Binary(BinaryOp::Add, 0, 5)], outputs: vec![1] },
            vec![&x],
            vec![4],
            "register 5",
        ),
        (FusedProgram { instrs: vec![I::Input(3)], outputs: vec![0] }, vec![&x], vec![4], "input 3"),
        (
            FusedProgram { instrs: vec![I::Input(0)], outputs: vec![1] },
            vec![&x],
            vec![4],
            "output register 1",
        ),
        (
            FusedProgram { instrs: vec![I::Input(0), I::Unary(UnaryOp::Negative, 0)], outputs: vec![1] },
            vec![&b],
            vec![4],
            "negative",
        ),
        (
            FusedProgram { instrs: vec![I::Input(0), I::Binary(BinaryOp::Subtract, 0, 0)], outputs: vec![1] },
            vec![&b],
            vec![4],
            "subtract",
        ),
        (
            FusedProgram { instrs: vec![I::Input(0)], outputs: vec![0] },
            vec![&x],
            vec![5],
            "does not broadcast",
        ),
        (
            FusedProgram { instrs: vec![I::Input(0)], outputs: vec![0] },
            vec![&x],
            vec![],
            "does not broadcast",
        ),
        (
            FusedProgram { instrs: vec![I::Const(1.0, DType::F32)], outputs: vec![0] },
            vec![],
            vec![4],
            "input",
        ),
    ];
    for (p, ins, dims, needle) in &bad {
        for dev in devices() {
            let ins: Vec<Tensor> = ins.iter().map(|t| t.to_device(&dev).unwrap()).collect();
            let refs: Vec<&Tensor> = ins.iter().collect();
            let e = ops::fused(p, &refs, dims).expect_err(&format!("{p:?} should fail"));
            let msg = e.to_string();
            assert!(msg.contains("fused") && msg.contains(needle), "{p:?}: unclear error: {msg}");
        }
    }
    if let Some(gpu) = gpu() {
        // Mixed devices, and a CPU-only dtype on the GPU.
        let g = x.to_device(&gpu).unwrap();
        let p = FusedProgram {
            instrs: vec![I::Input(0), I::Input(1), I::Binary(BinaryOp::Add, 0, 1)],
            outputs: vec![2],
        };
        let e = ops::fused(&p, &[&x, &g], &[4]).unwrap_err().to_string();
        assert!(e.contains("fused"), "{e}");
        let p = FusedProgram { instrs: vec![I::Input(0), I::Cast(DType::F64, 0)], outputs: vec![1] };
        let e = ops::fused(&p, &[&g], &[4]).unwrap_err().to_string();
        assert!(e.contains("fused") && e.contains("float64"), "{e}");
    }
}

#[test]
fn the_same_program_compiles_once_on_the_gpu_and_runs_in_a_capture() {
    let Some(Device::Gpu(_)) = gpu() else { return };
    let dev = Device::gpu_with(&wgkeras::runtime::GpuOptions { allow_software: true, ..Default::default() })
        .unwrap();
    let Device::Gpu(gpu) = &dev else { unreachable!() };
    let mut rng = Rng::new(21);
    let p = adam_program();
    let make = |rng: &mut Rng, n: usize| -> Vec<Tensor> {
        let mut v: Vec<Tensor> = (0..4).map(|_| rand_tensor(rng, &[n], 0.1, 1.0, DType::F32, &dev)).collect();
        v.push(rand_tensor(rng, &[], 0.001, 0.01, DType::F32, &dev));
        v
    };
    let a = make(&mut rng, 1000);
    ops::fused(&p, &a.iter().collect::<Vec<_>>(), &[1000]).unwrap();
    let created = gpu.pipelines_created();
    // Same program, new data, a new size, new constants: no compile.
    let b = make(&mut rng, 4097);
    let out = ops::fused(&p, &b.iter().collect::<Vec<_>>(), &[4097]).unwrap();
    out[0].to_vec_f64().unwrap();
    let mut p2 = p.clone();
    p2.instrs[5] = I::Const(0.8, DType::F32);
    ops::fused(&p2, &a.iter().collect::<Vec<_>>(), &[1000]).unwrap()[0].to_vec_f64().unwrap();
    assert_eq!(gpu.pipelines_created(), created, "rerunning a fused program compiled a pipeline");

    // In a captured plan, replayed with new input data.
    let x = make(&mut rng, 513);
    gpu.begin_capture().unwrap();
    let y = ops::fused(&p, &x.iter().collect::<Vec<_>>(), &[513]).unwrap();
    let plan = gpu.end_capture().unwrap();
    assert_eq!(plan.dispatches(), 1, "a fused program is one dispatch");
    for round in 0..3 {
        let data = rng.vec(513, -1.0, 1.0);
        x[1].gpu().unwrap().write(&wgkeras::runtime::CpuStorage::from_f64(DType::F32, data)).unwrap();
        plan.run().unwrap();
        let cpu_in: Vec<Tensor> = x.iter().map(|t| t.to_device(&Device::Cpu).unwrap()).collect();
        let want = ops::fused(&p, &cpu_in.iter().collect::<Vec<_>>(), &[513]).unwrap();
        for (g, w) in y.iter().zip(&want) {
            assert_close(&format!("round {round}"), &g.to_device(&Device::Cpu).unwrap(), w, 1e-5, 1e-6);
        }
    }
    assert_eq!(gpu.pipelines_created(), created, "replays compile nothing");
}

/// The generated WGSL of programs covering every op, dtype and input class validates with naga.
#[test]
fn generated_sources_validate_with_naga() {
    let mut programs: Vec<(FusedProgram, Vec<DType>)> = Vec::new();
    for &d in &[DType::F32, DType::F16, DType::I32, DType::U32, DType::Bool] {
        let mut instrs = vec![I::Input(0), I::Input(1), I::Input(2), I::Const(1.5, d)];
        let mut outputs = Vec::new();
        for op in UNARY {
            if !(d == DType::Bool && op == UnaryOp::Negative) {
                instrs.push(I::Unary(op, 0));
                outputs.push(instrs.len() - 1);
            }
        }
        for op in BINARY {
            if !(d == DType::Bool && matches!(op, BinaryOp::Subtract | BinaryOp::Divide | BinaryOp::Power)) {
                instrs.push(I::Binary(op, 0, 3));
                outputs.push(instrs.len() - 1);
            }
        }
        for op in COMPARE {
            instrs.push(I::Compare(op, 1, 3));
            outputs.push(instrs.len() - 1);
        }
        instrs.push(I::Select(2, 0, 3));
        outputs.push(instrs.len() - 1);
        for to in [DType::F32, DType::F16, DType::I32, DType::U32, DType::Bool] {
            instrs.push(I::Cast(to, 0));
            outputs.push(instrs.len() - 1);
        }
        programs.push((FusedProgram { instrs, outputs }, vec![d, d, DType::Bool]));
    }
    let shapes: [&[usize]; 3] = [&[4, 5], &[], &[4, 1]];
    for (p, dtypes) in &programs {
        let src = ops::fused_wgsl(p, dtypes, &shapes, &[4, 5]).unwrap();
        let module = naga::front::wgsl::parse_str(&src)
            .unwrap_or_else(|e| panic!("{dtypes:?}: parse: {}\n{src}", e.emit_to_string(&src)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{dtypes:?}: validate: {}\n{src}", e.emit_to_string(&src)));
    }
}

#[test]
fn f16_programs_match_on_the_cpu_and_on_gpus_that_have_f16() {
    let mut rng = Rng::new(31);
    let dtypes = [DType::F16, DType::F32, DType::I32, DType::Bool];
    let mut devs = vec![Device::Cpu];
    if let Some(Device::Gpu(g)) = gpu() {
        if g.has_f16() {
            devs.push(Device::Gpu(g));
        } else {
            eprintln!("the GPU lacks SHADER_F16: f16 programs checked on the CPU only");
        }
    }
    let mut ran = 0;
    for round in 0..30 {
        let inputs = random_inputs(&mut rng, &[&[3, 65], &[65], &[]], &dtypes[..1]);
        let len = 4 + rng.below(6);
        let program = random_program(&mut rng, inputs.len(), len, &dtypes);
        for dev in &devs {
            if check(&format!("f16 round {round}"), &program, &inputs, &[3, 65], dev) {
                ran += 1;
            }
        }
    }
    assert!(ran > 15, "only {ran} random programs were valid");
}
