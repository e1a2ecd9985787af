//! Conformance dispatch: the TensorFlow-named array ops (`runtime::tf::array_ops`), with
//! TensorFlow's argument names.

use super::{many, one, parse_tensor, Call, OpResult};
use wgkeras::runtime::tf;
use wgkeras::runtime::DType;

pub fn call(c: &Call) -> Option<OpResult> {
    let r = match c.name {
        "tf.size" => (|| one(tf::size(&c.tensor(0, "input")?)))(),
        "tf.rank" => (|| one(tf::rank(&c.tensor(0, "input")?)))(),
        "tf.shape" => (|| one(tf::shape(&c.tensor(0, "input")?)))(),
        "tf.shape_n" => (|| many(tf::shape_n(&c.tensors(0, "input")?)))(),
        "tf.identity" => (|| one(tf::identity(&c.tensor(0, "input")?)))(),
        "tf.identity_n" => (|| many(tf::identity_n(&c.tensors(0, "input")?)))(),
        "tf.reverse" => (|| one(tf::reverse(&c.tensor(0, "tensor")?, &c.ints(1, "axis")?)))(),
        "tf.roll" => (|| one(tf::roll(&c.tensor(0, "input")?, &c.ints(1, "shift")?, &c.ints(2, "axis")?)))(),
        "tf.where" => (|| {
            let x = c.opt_tensor(1, "x")?;
            let y = c.opt_tensor(2, "y")?;
            one(tf::where_(&c.tensor(0, "condition")?, x.as_ref(), y.as_ref()))
        })(),
        "tf.boolean_mask" => {
            (|| one(tf::boolean_mask(&c.tensor(0, "tensor")?, &c.tensor(1, "mask")?, c.opt_i64(2, "axis")?)))(
            )
        }
        "tf.sequence_mask" => (|| {
            let dtype = c.opt_dtype(2, "dtype")?.unwrap_or(DType::Bool);
            one(tf::sequence_mask(&c.tensor(0, "lengths")?, c.opt_i64(1, "maxlen")?, dtype))
        })(),
        "tf.meshgrid" => (|| {
            let args = c.args.iter().map(|v| parse_tensor(v, c.device)).collect::<Result<Vec<_>, _>>()?;
            let indexing = c.opt_str(usize::MAX, "indexing")?.unwrap_or("xy");
            many(tf::meshgrid(&args, indexing))
        })(),
        "tf.gather" => (|| {
            one(tf::gather(
                &c.tensor(0, "params")?,
                &c.tensor(1, "indices")?,
                c.opt_i64(3, "axis")?,
                c.i64_or(4, "batch_dims", 0)?,
            ))
        })(),
        "tf.gather_nd" => (|| {
            one(tf::gather_nd(
                &c.tensor(0, "params")?,
                &c.tensor(1, "indices")?,
                c.i64_or(2, "batch_dims", 0)?,
            ))
        })(),
        "tf.scatter_nd" => {
            (|| one(tf::scatter_nd(&c.tensor(0, "indices")?, &c.tensor(1, "updates")?, &c.ints(2, "shape")?)))(
            )
        }
        "tf.unravel_index" => (|| one(tf::unravel_index(&c.tensor(0, "indices")?, &c.ints(1, "dims")?)))(),
        "tf.range" => (|| {
            one(tf::range(
                c.f64(0, "start")?,
                c.opt_f64(1, "limit")?,
                c.f64_or(2, "delta", 1.0)?,
                c.opt_dtype(3, "dtype")?,
                c.device,
            ))
        })(),
        "tf.linspace" => (|| {
            one(tf::linspace(
                &c.tensor(0, "start")?,
                &c.tensor(1, "stop")?,
                c.i64(2, "num")?,
                c.i64_or(4, "axis", 0)?,
            ))
        })(),
        "tf.reverse_sequence" => (|| {
            one(tf::reverse_sequence(
                &c.tensor(0, "input")?,
                &c.tensor(1, "seq_lengths")?,
                c.i64(2, "seq_axis")?,
                c.i64_or(3, "batch_axis", 0)?,
            ))
        })(),
        "tf.parallel_stack" => (|| one(tf::parallel_stack(&c.tensors(0, "values")?)))(),
        "tf.dynamic_partition" => (|| {
            many(tf::dynamic_partition(
                &c.tensor(0, "data")?,
                &c.tensor(1, "partitions")?,
                c.i64(2, "num_partitions")?,
            ))
        })(),
        "tf.dynamic_stitch" => {
            (|| one(tf::dynamic_stitch(&c.tensors(0, "indices")?, &c.tensors(1, "data")?)))()
        }
        "tf.broadcast_static_shape" => (|| {
            let dims = |v: Vec<i64>| v.into_iter().map(|d| d.max(0) as usize).collect::<Vec<_>>();
            let out = tf::broadcast_static_shape(&dims(c.ints(0, "shape_x")?), &dims(c.ints(1, "shape_y")?))
                .map_err(|e| e.to_string())?;
            let n = out.len();
            let v: Vec<i32> = out.into_iter().map(|d| d as i32).collect();
            one(wgkeras::runtime::Tensor::from_vec(v, &[n], c.device))
        })(),
        "tf.broadcast_dynamic_shape" => {
            (|| one(tf::broadcast_dynamic_shape(&c.tensor(0, "shape_x")?, &c.tensor(1, "shape_y")?)))()
        }
        "tf.space_to_batch_nd" | "tf.space_to_batch" => (|| {
            one(tf::space_to_batch_nd(
                &c.tensor(0, "input")?,
                &c.ints(1, "block_shape")?,
                &pairs(c, 2, "paddings")?,
            ))
        })(),
        "tf.batch_to_space" => (|| {
            one(tf::batch_to_space(
                &c.tensor(0, "input")?,
                &c.ints(1, "block_shape")?,
                &pairs(c, 2, "crops")?,
            ))
        })(),
        "tf.required_space_to_batch_paddings" => (|| {
            let base = if c.has(2, "base_paddings") { Some(pairs(c, 2, "base_paddings")?) } else { None };
            let (p, cr) = tf::required_space_to_batch_paddings(
                &c.ints(0, "input_shape")?,
                &c.ints(1, "block_shape")?,
                base.as_deref(),
            )
            .map_err(|e| e.to_string())?;
            let t = |v: Vec<[i64; 2]>| {
                let n = v.len();
                let flat: Vec<i32> = v.iter().flat_map(|p| [p[0] as i32, p[1] as i32]).collect();
                wgkeras::runtime::Tensor::from_vec(flat, &[n, 2], c.device)
            };
            many(t(p).and_then(|p| Ok(vec![p, t(cr)?])))
        })(),
        "tf.extract_volume_patches" => (|| {
            let padding = c.opt_str(3, "padding")?.ok_or_else(|| format!("{}: missing padding", c.name))?;
            one(tf::extract_volume_patches(
                &c.tensor(0, "input")?,
                &c.ints(1, "ksizes")?,
                &c.ints(2, "strides")?,
                padding,
            ))
        })(),
        _ => return None,
    };
    Some(r)
}

/// A list of `[before, after]` integer pairs (paddings, crops).
fn pairs(c: &Call, i: usize, key: &str) -> Result<Vec<[i64; 2]>, String> {
    let bad = || format!("{}: {key} must be a list of [before, after] integer pairs", c.name);
    match c.arg(i, key) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|p| match p {
                serde_json::Value::Array(v) if v.len() == 2 => {
                    let n = |x: &serde_json::Value| super::number(x).map(|f| f as i64);
                    Some([n(&v[0])?, n(&v[1])?])
                }
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}
