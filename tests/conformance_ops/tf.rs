//! Conformance dispatch: the TensorFlow-named ops of the seed pages (`tf.fill`, `tf.eye`,
//! `tf.one_hot`, `tf.strided_slice`, `tf.tensor_scatter_nd_*`, `tf.histogram_fixed_width_bins`,
//! `tf.histogram_fixed_width`, `tf.argsort`, `tf.sort`, `tf.unstack`), with TensorFlow's
//! argument names.

use super::{many, one, Call, OpResult};
use wgkeras::runtime::tf;
use wgkeras::runtime::DType;

type Scatter = fn(
    &wgkeras::runtime::Tensor,
    &wgkeras::runtime::Tensor,
    &wgkeras::runtime::Tensor,
) -> wgkeras::runtime::Result<wgkeras::runtime::Tensor>;

fn mask(c: &Call, key: &str) -> Result<i32, String> {
    let v = c.i64_or(usize::MAX, key, 0)?;
    i32::try_from(v).map_err(|_| format!("{}: {key} must fit in int32, got {v}", c.name))
}

pub fn call(c: &Call) -> Option<OpResult> {
    let scatters: &[(&str, Scatter)] = &[
        ("tf.tensor_scatter_nd_update", tf::tensor_scatter_nd_update),
        ("tf.tensor_scatter_nd_add", tf::tensor_scatter_nd_add),
        ("tf.tensor_scatter_nd_sub", tf::tensor_scatter_nd_sub),
        ("tf.tensor_scatter_nd_min", tf::tensor_scatter_nd_min),
        ("tf.tensor_scatter_nd_max", tf::tensor_scatter_nd_max),
    ];
    if let Some((_, f)) = scatters.iter().find(|(n, _)| *n == c.name) {
        return Some((|| {
            one(f(&c.tensor(0, "tensor")?, &c.tensor(1, "indices")?, &c.tensor(2, "updates")?))
        })());
    }
    let r = match c.name {
        "tf.fill" => (|| one(tf::fill(&c.ints(0, "dims")?, &c.tensor(1, "value")?)))(),
        "tf.eye" => (|| {
            let batch = c.opt_ints(2, "batch_shape")?;
            one(tf::eye(
                c.i64(0, "num_rows")?,
                c.opt_i64(1, "num_columns")?,
                batch.as_deref(),
                c.opt_dtype(3, "dtype")?.unwrap_or(DType::F32),
                c.device,
            ))
        })(),
        "tf.one_hot" => (|| {
            let on = c.opt_tensor(2, "on_value")?;
            let off = c.opt_tensor(3, "off_value")?;
            let options = tf::OneHotOptions {
                on_value: on.as_ref(),
                off_value: off.as_ref(),
                axis: c.opt_i64(4, "axis")?,
                dtype: c.opt_dtype(5, "dtype")?,
            };
            one(tf::one_hot(&c.tensor(0, "indices")?, c.i64(1, "depth")?, options))
        })(),
        "tf.strided_slice" => (|| {
            let strides = c.opt_ints(3, "strides")?;
            let masks = tf::StridedSliceMasks {
                begin_mask: mask(c, "begin_mask")?,
                end_mask: mask(c, "end_mask")?,
                ellipsis_mask: mask(c, "ellipsis_mask")?,
                new_axis_mask: mask(c, "new_axis_mask")?,
                shrink_axis_mask: mask(c, "shrink_axis_mask")?,
            };
            one(tf::strided_slice(
                &c.tensor(0, "input_")?,
                &c.ints(1, "begin")?,
                &c.ints(2, "end")?,
                strides.as_deref(),
                masks,
            ))
        })(),
        "tf.histogram_fixed_width_bins" | "tf.histogram_fixed_width" => (|| {
            let values = c.tensor(0, "values")?;
            let range = c.tensor(1, "value_range")?;
            let nbins = c.i64_or(2, "nbins", 100)?;
            let dtype = c.opt_dtype(3, "dtype")?.unwrap_or(DType::I32);
            if c.name == "tf.histogram_fixed_width" {
                one(tf::histogram_fixed_width(&values, &range, nbins, dtype))
            } else {
                one(tf::histogram_fixed_width_bins(&values, &range, nbins, dtype))
            }
        })(),
        "tf.sort" => (|| {
            let direction = c.opt_str(2, "direction")?.unwrap_or("ASCENDING");
            one(tf::sort(&c.tensor(0, "values")?, c.i64_or(1, "axis", -1)?, direction))
        })(),
        "tf.argsort" => (|| {
            let direction = c.opt_str(2, "direction")?.unwrap_or("ASCENDING");
            one(tf::argsort(
                &c.tensor(0, "values")?,
                c.i64_or(1, "axis", -1)?,
                direction,
                c.bool_or(3, "stable", false)?,
            ))
        })(),
        "tf.unstack" => {
            (|| many(tf::unstack(&c.tensor(0, "value")?, c.opt_i64(1, "num")?, c.i64_or(2, "axis", 0)?)))()
        }
        _ => return None,
    };
    Some(r)
}
