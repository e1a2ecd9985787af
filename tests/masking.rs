//! Keras masking: `Embedding(mask_zero=True)` sets the mask `ids != 0`, layers that support
//! masking pass it on, merging layers OR their inputs' masks (None when one input has none),
//! layers without masking support (Flatten) drop it, and the compiled loss averages over the
//! unmasked entries only. The Keras-made end-to-end case is tests/conformance/model_fit_masking.json.

mod common;

use serde_json::json;
use wgkeras::frontend::layers::embedding::Embedding;
use wgkeras::frontend::layers::merging::{Concatenate, Merge, MergeOp};
use wgkeras::frontend::layers::{CallContext, Dense, Flatten, LayerRef};
use wgkeras::frontend::models::{input_with, CompileArgs, KerasTensor};
use wgkeras::frontend::{Graph, Model};
use wgkeras::runtime::{DType, Device, Tensor};

const T: usize = 4;

fn embedding(mask_zero: bool) -> LayerRef {
    let config = json!({"input_dim": 6, "output_dim": 3, "mask_zero": mask_zero});
    Embedding::from_config(config.as_object().unwrap()).unwrap().into()
}

/// Ids with padding zeros, [3, T].
fn ids(device: &Device) -> Tensor {
    let v: Vec<i32> = vec![1, 2, 0, 0, 3, 0, 0, 0, 5, 4, 3, 2];
    Tensor::from_vec(v, &[3, T], device).unwrap()
}

fn expected_mask() -> Vec<bool> {
    [1, 2, 0, 0, 3, 0, 0, 0, 5, 4, 3, 2].iter().map(|&v| v != 0).collect()
}

/// The model's output masks on `ids` (None where unmasked), as host bools.
fn output_masks(model: &Model, device: &Device) -> Vec<Option<Vec<bool>>> {
    let g = Graph::new();
    let xs: Vec<_> = model.inputs().iter().map(|x| g.input(&x.shape, x.dtype)).collect();
    let (_, masks) = model.call_graph_masked(&xs, &CallContext::new(false)).unwrap();
    let feeds: Vec<Tensor> = xs.iter().map(|_| ids(device)).collect();
    masks
        .into_iter()
        .map(|m| {
            m.map(|m| {
                let t = g.evaluate(&[m], &feeds).unwrap().remove(0);
                t.to_vec_f64().unwrap().into_iter().map(|v| v != 0.0).collect()
            })
        })
        .collect()
}

fn int_input() -> KerasTensor {
    input_with(&[T], DType::I32, None)
}

#[test]
fn embedding_mask_passes_through_dense() {
    for device in common::devices() {
        let x = int_input();
        let h = embedding(true).call(&x).unwrap();
        let h = LayerRef::from(Dense::new(5, Some("relu")).unwrap()).call(&h).unwrap();
        let model = Model::functional(&[x], &[h], None).unwrap();
        let masks = output_masks(&model, &device);
        assert_eq!(masks, vec![Some(expected_mask())], "{device:?}");
    }
}

#[test]
fn no_mask_without_mask_zero() {
    let x = int_input();
    let h = embedding(false).call(&x).unwrap();
    let h = LayerRef::from(Dense::new(2, None).unwrap()).call(&h).unwrap();
    let model = Model::functional(&[x], &[h], None).unwrap();
    assert_eq!(output_masks(&model, &Device::Cpu), vec![None]);
}

#[test]
fn flatten_drops_the_mask() {
    let x = int_input();
    let h = embedding(true).call(&x).unwrap();
    let h = LayerRef::from(Flatten::new(None).unwrap()).call(&h).unwrap();
    let h = LayerRef::from(Dense::new(2, None).unwrap()).call(&h).unwrap();
    let model = Model::functional(&[x], &[h], None).unwrap();
    assert_eq!(output_masks(&model, &Device::Cpu), vec![None]);
}

#[test]
fn merge_ors_masks_and_needs_all_inputs_masked() {
    for device in common::devices() {
        // Two masked branches (the same ids): the OR is the ids' mask.
        let x = int_input();
        let a = embedding(true).call(&x).unwrap();
        let b = embedding(true).call(&x).unwrap();
        let s =
            LayerRef::from(Merge::new(MergeOp::Add).unwrap()).call_list(&[a.clone(), b]).unwrap().remove(0);
        let model = Model::functional(&[x.clone()], &[s], None).unwrap();
        assert_eq!(output_masks(&model, &device), vec![Some(expected_mask())], "{device:?}");

        // Two inputs with different masks: elementwise OR.
        let (x1, x2) = (int_input(), int_input());
        let a = embedding(true).call(&x1).unwrap();
        let b = embedding(true).call(&x2).unwrap();
        let s = LayerRef::from(Merge::new(MergeOp::Maximum).unwrap()).call_list(&[a, b]).unwrap().remove(0);
        let model = Model::functional(&[x1, x2], &[s], None).unwrap();
        let g = Graph::new();
        let xs: Vec<_> = model.inputs().iter().map(|x| g.input(&x.shape, x.dtype)).collect();
        let (_, masks) = model.call_graph_masked(&xs, &CallContext::new(false)).unwrap();
        let first = ids(&device);
        let second = Tensor::from_vec(vec![0i32, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], &[3, T], &device).unwrap();
        let m = g.evaluate(&[masks[0].unwrap()], &[first, second]).unwrap().remove(0);
        let got: Vec<bool> = m.to_vec_f64().unwrap().into_iter().map(|v| v != 0.0).collect();
        let mut want = expected_mask();
        want[3] = true;
        assert_eq!(got, want, "{device:?}");

        // One unmasked input: no mask (Keras's Merge.compute_mask).
        let x = int_input();
        let a = embedding(true).call(&x).unwrap();
        let b = embedding(false).call(&x).unwrap();
        let s = LayerRef::from(Merge::new(MergeOp::Add).unwrap()).call_list(&[a, b]).unwrap().remove(0);
        let model = Model::functional(&[x], &[s], None).unwrap();
        assert_eq!(output_masks(&model, &device), vec![None], "{device:?}");
    }
}

#[test]
fn concatenate_mask_on_last_axis_is_any_of_the_inputs() {
    // Concatenating features (axis -1) of a masked and an unmasked branch: the unmasked one
    // counts as all true, so every step is valid (Keras's Concatenate.compute_mask).
    let x = int_input();
    let a = embedding(true).call(&x).unwrap();
    let b = embedding(false).call(&x).unwrap();
    let c = LayerRef::from(Concatenate::new(-1).unwrap()).call_list(&[a.clone(), b]).unwrap().remove(0);
    let model = Model::functional(&[x.clone()], &[c], None).unwrap();
    assert_eq!(output_masks(&model, &Device::Cpu), vec![Some(vec![true; 3 * T])]);
    // Both masked: the ids' mask.
    let b = embedding(true).call(&x).unwrap();
    let c = LayerRef::from(Concatenate::new(-1).unwrap()).call_list(&[a, b]).unwrap().remove(0);
    let model = Model::functional(&[x], &[c], None).unwrap();
    assert_eq!(output_masks(&model, &Device::Cpu), vec![Some(expected_mask())]);
}

#[test]
fn compiled_loss_and_test_metrics_average_over_unmasked_steps() {
    for device in common::devices() {
        let x = int_input();
        let h = embedding(true).call(&x).unwrap();
        let out = LayerRef::from(Dense::new(3, Some("softmax")).unwrap()).call(&h).unwrap();
        let mut model = Model::functional(&[x], &[out], None).unwrap();
        model
            .compile(
                CompileArgs::new("sgd", "sparse_categorical_crossentropy")
                    .metrics(&["accuracy"])
                    .device(device.clone()),
            )
            .unwrap();
        let y = Tensor::from_vec(vec![0i32, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], &[3, T], &Device::Cpu).unwrap();
        let xs = ids(&Device::Cpu);
        let p = model.predict(xs.clone(), 3, 0).unwrap().remove(0).to_vec_f64().unwrap();
        let yv = y.to_vec_f64().unwrap();
        let mask = expected_mask();
        let (mut loss, mut correct, mut n) = (0.0, 0.0, 0.0);
        for i in 0..3 * T {
            if !mask[i] {
                continue;
            }
            let row = &p[i * 3..i * 3 + 3];
            let label = yv[i] as usize;
            loss -= row[label].clamp(1e-7, 1.0 - 1e-7).ln();
            let arg = (0..3).fold(0, |b, k| if row[k] > row[b] { k } else { b });
            correct += f64::from(arg == label);
            n += 1.0;
        }
        let logs = model.evaluate(xs, y, 3, 0).unwrap();
        let got_loss = logs.get("loss").unwrap();
        assert!((got_loss - loss / n).abs() < 1e-5, "{device:?}: loss {got_loss} vs {}", loss / n);
        let got_acc = logs.get("accuracy").unwrap();
        assert!((got_acc - correct / n).abs() < 1e-6, "{device:?}: accuracy {got_acc} vs {}", correct / n);
    }
}
