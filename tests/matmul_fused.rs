//! `matmul_fused`: the Dense-layer product `activation(op(a) @ op(b) + bias)` against the eager
//! chain (explicit transposes, matmul, add, activation) on each backend, and across backends.

mod common;

use common::*;
use wgkeras::ops::{self, Epilogue};
use wgkeras::runtime::{DType, Device, Result, Tensor};

const ACTS: [Epilogue; 4] = [Epilogue::Linear, Epilogue::Relu, Epilogue::Sigmoid, Epilogue::Tanh];
const SIZES: [usize; 6] = [1, 3, 17, 65, 130, 4];

/// The eager chain the fused product must equal.
fn eager(a: &Tensor, b: &Tensor, ta: bool, tb: bool, bias: Option<&Tensor>, act: Epilogue) -> Result<Tensor> {
    let a = if ta { ops::transpose(a, None)? } else { a.clone() };
    let b = if tb { ops::transpose(b, None)? } else { b.clone() };
    let mut r = ops::matmul(&a, &b)?;
    if let Some(c) = bias {
        r = ops::add(&r, c)?;
    }
    match act {
        Epilogue::Linear => Ok(r),
        Epilogue::Relu => ops::relu(&r),
        Epilogue::Sigmoid => ops::sigmoid(&r),
        Epilogue::Tanh => ops::tanh(&r),
    }
}

/// Operands stored for `op(a)` M x K and `op(b)` K x N, and a bias of N.
fn operands(
    rng: &mut Rng,
    (m, k, n): (usize, usize, usize),
    ta: bool,
    tb: bool,
    dtype: DType,
) -> Vec<Tensor> {
    let ad: Vec<usize> = if ta { vec![k, m] } else { vec![m, k] };
    let bd: Vec<usize> = if tb { vec![n, k] } else { vec![k, n] };
    vec![
        rand_tensor(rng, &ad, -1.0, 1.0, dtype, &Device::Cpu),
        rand_tensor(rng, &bd, -1.0, 1.0, dtype, &Device::Cpu),
        rand_tensor(rng, &[n], -1.0, 1.0, dtype, &Device::Cpu),
    ]
}

/// Fused vs eager on every device, and the fused result across devices.
fn check(what: &str, inputs: &[Tensor], ta: bool, tb: bool, with_bias: bool, act: Epilogue, tol: f64) {
    let fused = |t: &[Tensor]| ops::matmul_fused(&t[0], &t[1], ta, tb, with_bias.then_some(&t[2]), act);
    for dev in devices() {
        let t: Vec<Tensor> = inputs.iter().map(|x| x.to_device(&dev).unwrap()).collect();
        let got = fused(&t).unwrap_or_else(|e| panic!("{what} on {}: {e}", dev.name()));
        assert_eq!(got.device(), dev, "{what}: result left {}", dev.name());
        let want = eager(&t[0], &t[1], ta, tb, with_bias.then_some(&t[2]), act).unwrap();
        let (got, want) = (got.to_device(&Device::Cpu).unwrap(), want.to_device(&Device::Cpu).unwrap());
        assert_close(&format!("{what} on {} (fused vs eager)", dev.name()), &got, &want, tol, tol);
    }
    check_backends(what, inputs, tol, tol, fused);
}

#[test]
fn fused_matches_the_eager_chain_for_every_combination() {
    let mut rng = Rng::new(21);
    for ta in [false, true] {
        for tb in [false, true] {
            for with_bias in [false, true] {
                for act in ACTS {
                    // Two random shapes of odd sizes per combination, and GEMV shapes (M or N = 1).
                    let mut shapes: Vec<(usize, usize, usize)> = (0..2)
                        .map(|_| (SIZES[rng.below(6)], SIZES[rng.below(6)], SIZES[rng.below(6)]))
                        .collect();
                    shapes.push((1, SIZES[rng.below(6)], 17));
                    shapes.push((65, SIZES[rng.below(6)], 1));
                    for mkn in shapes {
                        let what = format!("{mkn:?} ta={ta} tb={tb} bias={with_bias} {act:?}");
                        let inputs = operands(&mut rng, mkn, ta, tb, DType::F32);
                        check(&what, &inputs, ta, tb, with_bias, act, 1e-5);
                    }
                }
            }
        }
    }
}

#[test]
fn dense_layer_shapes_and_their_gradients() {
    // Forward x @ W + b, then g @ W^T and x^T @ g, as a Dense layer's train step does.
    let mut rng = Rng::new(5);
    let (batch, din, dout) = (33, 130, 65);
    let x = rand_tensor(&mut rng, &[batch, din], -1.0, 1.0, DType::F32, &Device::Cpu);
    let w = rand_tensor(&mut rng, &[din, dout], -1.0, 1.0, DType::F32, &Device::Cpu);
    let b = rand_tensor(&mut rng, &[dout], -1.0, 1.0, DType::F32, &Device::Cpu);
    let g = rand_tensor(&mut rng, &[batch, dout], -1.0, 1.0, DType::F32, &Device::Cpu);
    check("forward", &[x.clone(), w.clone(), b], false, false, true, Epilogue::Relu, 1e-5);
    check("g @ W^T", &[g.clone(), w, g.clone()], false, true, false, Epilogue::Linear, 1e-5);
    check("x^T @ g", &[x, g.clone(), g], true, false, false, Epilogue::Linear, 1e-5);
}

#[test]
fn empty_dims_and_k_zero() {
    let mut rng = Rng::new(8);
    for (m, k, n) in [(0, 3, 4), (3, 0, 4), (3, 4, 0), (0, 0, 0), (5, 0, 1)] {
        for ta in [false, true] {
            for act in [Epilogue::Linear, Epilogue::Sigmoid] {
                let inputs = operands(&mut rng, (m, k, n), ta, !ta, DType::F32);
                check(&format!("({m}, {k}, {n}) {act:?}"), &inputs, ta, !ta, true, act, 1e-6);
            }
        }
    }
}

#[test]
fn other_dtypes() {
    let mut rng = Rng::new(9);
    // f64 and bf16 on the CPU.
    for (dtype, tol) in [(DType::F64, 1e-12), (DType::BF16, 2e-2)] {
        for act in ACTS {
            let inputs = operands(&mut rng, (17, 65, 3), true, false, dtype);
            let got = ops::matmul_fused(&inputs[0], &inputs[1], true, false, Some(&inputs[2]), act).unwrap();
            let want = eager(&inputs[0], &inputs[1], true, false, Some(&inputs[2]), act).unwrap();
            assert_eq!(got.dtype(), dtype);
            assert_close(&format!("{dtype} {act:?}"), &got, &want, tol, tol);
        }
    }
    // f16 on every device that has it.
    let f16_ok = match gpu() {
        Some(Device::Gpu(g)) => g.has_f16(),
        _ => true,
    };
    if f16_ok {
        for act in ACTS {
            let inputs = operands(&mut rng, (17, 130, 65), false, true, DType::F16);
            check(&format!("f16 {act:?}"), &inputs, false, true, true, act, 2e-2);
        }
    }
    // Integers: linear and relu fused; sigmoid and tanh give float32 like the eager chain.
    for dtype in [DType::I32, DType::U32] {
        for act in ACTS {
            let (lo, hi) = if dtype == DType::I32 { (-5, 5) } else { (0, 9) };
            let ri = |dims: &[usize], seed| ops::randint(dims, lo, hi, dtype, seed, &Device::Cpu).unwrap();
            let inputs = vec![ri(&[17, 3], 3), ri(&[3, 65], 4), ri(&[65], 5)];
            check(&format!("{dtype} {act:?}"), &inputs, false, false, true, act, 1e-6);
        }
    }
}

#[test]
fn bad_inputs_are_clear_errors() {
    let d = Device::Cpu;
    let f = |dims: &[usize], dtype: DType| ops::zeros(dims, dtype, &d).unwrap();
    let err = |r: Result<Tensor>| r.unwrap_err().to_string();
    let e = err(ops::matmul_fused(
        &f(&[2, 3, 4], DType::F32),
        &f(&[4, 5], DType::F32),
        false,
        false,
        None,
        Epilogue::Linear,
    ));
    assert!(e.contains("matmul_fused") && e.contains("[2, 3, 4]") && e.contains("2-D"), "{e}");
    let e = err(ops::matmul_fused(
        &f(&[4], DType::F32),
        &f(&[4, 5], DType::F32),
        false,
        false,
        None,
        Epilogue::Relu,
    ));
    assert!(e.contains("matmul_fused") && e.contains("[4]"), "{e}");
    let e = err(ops::matmul_fused(
        &f(&[2, 3], DType::F32),
        &f(&[4, 5], DType::F32),
        false,
        false,
        None,
        Epilogue::Linear,
    ));
    assert!(e.contains("matmul_fused") && e.contains("[2, 3]") && e.contains("[4, 5]"), "{e}");
    // With transpose_a, [3, 2] is 2 x 3: still a mismatch with 4 x 5.
    let e = err(ops::matmul_fused(
        &f(&[3, 2], DType::F32),
        &f(&[4, 5], DType::F32),
        true,
        false,
        None,
        Epilogue::Linear,
    ));
    assert!(e.contains("matmul_fused") && e.contains("transpose_a=true"), "{e}");
    let e = err(ops::matmul_fused(
        &f(&[2, 4], DType::F32),
        &f(&[4, 5], DType::F32),
        false,
        false,
        Some(&f(&[4], DType::F32)),
        Epilogue::Linear,
    ));
    assert!(
        e.contains("matmul_fused") && e.contains("bias") && e.contains("[5]") && e.contains("[4]"),
        "{e}"
    );
    let e = err(ops::matmul_fused(
        &f(&[2, 4], DType::F32),
        &f(&[4, 5], DType::F32),
        false,
        false,
        Some(&f(&[1, 5], DType::F32)),
        Epilogue::Linear,
    ));
    assert!(e.contains("matmul_fused") && e.contains("[1, 5]"), "{e}");
    let e = err(ops::matmul_fused(
        &f(&[2, 4], DType::F32),
        &f(&[4, 5], DType::F64),
        false,
        false,
        None,
        Epilogue::Linear,
    ));
    assert!(e.contains("matmul_fused") && e.contains("float64"), "{e}");
    let e = err(ops::matmul_fused(
        &f(&[2, 4], DType::F32),
        &f(&[4, 5], DType::F32),
        false,
        false,
        Some(&f(&[5], DType::I32)),
        Epilogue::Linear,
    ));
    assert!(e.contains("matmul_fused") && e.contains("bias"), "{e}");
    if let Some(g) = gpu() {
        let e = err(ops::matmul_fused(
            &f(&[2, 4], DType::F32),
            &ops::zeros(&[4, 5], DType::F32, &g).unwrap(),
            false,
            false,
            None,
            Epilogue::Linear,
        ));
        assert!(e.contains("matmul_fused") && e.contains("different devices"), "{e}");
    }
}

#[test]
fn gpu_fused_compiles_once_per_variant() {
    let Some(Device::Gpu(g)) = gpu() else { return };
    let dev = Device::Gpu(g.clone());
    let mut rng = Rng::new(3);
    let run = |rng: &mut Rng, m: usize| {
        let inputs: Vec<Tensor> = operands(rng, (m, 17, 9), false, true, DType::F32)
            .iter()
            .map(|t| t.to_device(&dev).unwrap())
            .collect();
        ops::matmul_fused(&inputs[0], &inputs[1], false, true, Some(&inputs[2]), Epilogue::Tanh).unwrap()
    };
    run(&mut rng, 5).to_vec::<f32>().unwrap();
    let before = g.pipelines_created();
    for m in [6, 40, 129] {
        run(&mut rng, m).to_vec::<f32>().unwrap();
    }
    assert_eq!(g.pipelines_created(), before, "a new batch size compiles nothing");
}
