"""Conformance cases for keras.random (uniform, normal, truncated_normal, randint, dropout).

wgkeras draws with Philox-4x32-10 (see runtime/src/ops/random.rs); JAX's generator is different,
so random values cannot be compared bit for bit. These cases pin what can be compared with Keras:
argument names and defaults, result shapes (including 0-d and empty) and dtypes, and the
degenerate draws whose value does not depend on the generator (minval == maxval, stddev == 0,
a one-value integer range, rate == 0).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/ops_random.py
"""
import numpy as np

from common import op_case, write

import keras  # noqa: E402

R = keras.random


def main():
    cases = []

    def add(cid, name, fn, args, kwargs=None):
        cases.append(op_case(cid, name, fn, args, kwargs))

    for i, shape in enumerate([(2, 3), (), (0,), (1, 4, 1)]):
        add(f"random_uniform_const_{i}", "random.uniform", R.uniform, [shape],
            {"minval": 2.5, "maxval": 2.5, "seed": 1})
        add(f"random_normal_const_{i}", "random.normal", R.normal, [shape],
            {"mean": -1.25, "stddev": 0.0, "seed": 2})
        add(f"random_truncated_normal_const_{i}", "random.truncated_normal", R.truncated_normal, [shape],
            {"mean": 0.75, "stddev": 0.0, "seed": 3})
        add(f"random_randint_const_{i}", "random.randint", R.randint, [shape],
            {"minval": 5, "maxval": 6, "seed": 4})
    add("random_uniform_f16", "random.uniform", R.uniform, [(3,)],
        {"minval": -1.0, "maxval": -1.0, "dtype": "float16", "seed": 5})
    add("random_normal_positional", "random.normal", R.normal, [(2, 2), 3.0, 0.0], {"seed": 6})
    add("random_randint_negative", "random.randint", R.randint, [(2, 2), -3, -2], {"seed": 7})
    add("random_randint_positional", "random.randint", R.randint, [(5,), 0, 1], {"seed": 8})
    x = np.arange(12, dtype="float32").reshape(3, 4) - 5.5
    add("random_dropout_rate0", "random.dropout", R.dropout, [x, 0.0], {"seed": 9})
    add("random_dropout_rate0_noise_shape", "random.dropout", R.dropout, [x],
        {"rate": 0.0, "noise_shape": (1, 4), "seed": 10})
    write("ops_random.json", cases)


if __name__ == "__main__":
    main()
