"""Reference cases for keras.regularizers, keras.constraints and the deterministic
keras.initializers, as `op` cases with dotted names. Pinned: keras==3.15.1, jax==0.10.2.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/weights_fns.py
Writes tests/conformance/weights_fns.json.

Convention (tests/conformance_ops/weights_fns.rs dispatches it):
- "regularizers.<Class>": kwargs = the regularizer's config (as its get_config gives it, or a
  subset: the rest default), args = [x]; expected = the penalty (a 0-d tensor).
- "constraints.<Class>": kwargs = the config, args = [w]; expected = the projected w.
- "initializers.<Class>": kwargs = the config plus "shape" (a list) and "dtype" (a name);
  args = []; expected = the initial value. Only deterministic initializers (random ones cannot
  match JAX's bits; their statistics are tested in tests/initializers.rs).
"""
import numpy as np
import keras

from common import op_case, rng, write

cases = []
r = rng(20260410)


def randn(*shape):
    return r.standard_normal(shape).astype(np.float32)


def reg_case(cid, cls, config, x, **kw):
    # Called on a backend tensor, as on a weight (a NumPy array takes another path in Keras).
    fn = lambda x, **c: getattr(keras.regularizers, cls)(**c)(keras.ops.convert_to_tensor(x))
    cases.append(op_case(cid, f"regularizers.{cls}", fn, [x], config, **kw))


def con_case(cid, cls, config, w, **kw):
    fn = lambda w, **c: getattr(keras.constraints, cls)(**c)(keras.ops.convert_to_tensor(w))
    cases.append(op_case(cid, f"constraints.{cls}", fn, [w], config, **kw))


def init_case(cid, cls, config, shape, dtype="float32", **kw):
    def fn(**c):
        c = dict(c)
        shape, dtype = c.pop("shape"), c.pop("dtype")
        return getattr(keras.initializers, cls)(**c)(tuple(shape), dtype=dtype)

    cases.append(op_case(cid, f"initializers.{cls}", fn, [], {**config, "shape": shape, "dtype": dtype}, **kw))


# Regularizers
reg_case("reg_l1_default", "L1", {}, randn(4, 5))
reg_case("reg_l1_03", "L1", {"l1": 0.3}, randn(3, 7))
reg_case("reg_l1_vector", "L1", {"l1": 0.05}, randn(11))
reg_case("reg_l1_rank3", "L1", {"l1": 1.5}, randn(2, 3, 4))
reg_case("reg_l2_default", "L2", {}, randn(4, 5))
reg_case("reg_l2_2", "L2", {"l2": 2.0}, randn(6, 2))
reg_case("reg_l2_scalar", "L2", {"l2": 0.5}, np.float32(3.0))
reg_case("reg_l1l2_default", "L1L2", {}, randn(3, 3))
reg_case("reg_l1l2_both", "L1L2", {"l1": 0.01, "l2": 0.02}, randn(5, 4))
reg_case("reg_l1l2_l1_only", "L1L2", {"l1": 0.1}, randn(2, 8))
reg_case("reg_l1l2_l2_only", "L1L2", {"l2": 0.3}, randn(8, 2))
reg_case("reg_orth_rows_default", "OrthogonalRegularizer", {}, randn(4, 6))
reg_case("reg_orth_rows", "OrthogonalRegularizer", {"factor": 0.5, "mode": "rows"}, randn(5, 3))
reg_case("reg_orth_columns", "OrthogonalRegularizer", {"factor": 0.2, "mode": "columns"}, randn(6, 4))
reg_case("reg_orth_columns_tall", "OrthogonalRegularizer", {"factor": 1.0, "mode": "columns"}, randn(3, 7))
reg_case("reg_orth_zero_row", "OrthogonalRegularizer", {"factor": 0.1},
         np.concatenate([randn(3, 4), np.zeros((1, 4), np.float32)]))

# Constraints
w = randn(4, 5) * 2
con_case("con_maxnorm_default", "MaxNorm", {}, w)
con_case("con_maxnorm_1_axis0", "MaxNorm", {"max_value": 1.0, "axis": 0}, w)
con_case("con_maxnorm_1_axis1", "MaxNorm", {"max_value": 1.5, "axis": 1}, w)
con_case("con_maxnorm_axis_neg", "MaxNorm", {"max_value": 2, "axis": -1}, w)
con_case("con_maxnorm_axes_list", "MaxNorm", {"max_value": 3.0, "axis": [0, 1, 2]}, randn(3, 3, 2, 4))
con_case("con_maxnorm_zero_col", "MaxNorm", {"max_value": 1.0}, np.concatenate([randn(3, 2), np.zeros((3, 1), np.float32)], 1))
con_case("con_minmax_default", "MinMaxNorm", {}, w)
con_case("con_minmax_range", "MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 1.0, "axis": 0}, w * 0.5)
con_case("con_minmax_rate", "MinMaxNorm", {"min_value": 0.5, "max_value": 1.0, "rate": 0.3, "axis": 1}, w)
con_case("con_minmax_axes", "MinMaxNorm", {"min_value": 0.2, "max_value": 0.8, "rate": 0.7, "axis": [0, 1]}, randn(2, 3, 4))
con_case("con_unitnorm_default", "UnitNorm", {}, w)
con_case("con_unitnorm_axis1", "UnitNorm", {"axis": 1}, w)
con_case("con_unitnorm_axes", "UnitNorm", {"axis": [0, 1, 2]}, randn(2, 2, 3, 5))
con_case("con_nonneg", "NonNeg", {}, w)
con_case("con_nonneg_rank3", "NonNeg", {}, randn(2, 3, 4))

# Deterministic initializers
init_case("init_identity_square", "Identity", {}, [4, 4])
init_case("init_identity_rect", "Identity", {"gain": 2.5}, [3, 5])
init_case("init_identity_tall", "Identity", {"gain": 0.5}, [5, 2])
init_case("init_constant", "Constant", {"value": 1.75}, [2, 3])
init_case("init_constant_int", "Constant", {"value": 3}, [4])
init_case("init_constant_default", "Constant", {}, [2, 2])
init_case("init_zeros", "Zeros", {}, [3, 2])
init_case("init_ones", "Ones", {}, [2, 3, 2])
init_case("init_ones_int32", "Ones", {}, [5], dtype="int32")
init_case("init_zeros_empty", "Zeros", {}, [0, 3])

write("weights_fns.json", cases)
