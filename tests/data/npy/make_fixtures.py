"""Writes the small NumPy fixtures read by tests/npy.rs.

Run from the repository root: /path/to/python tests/data/npy/make_fixtures.py
Every array is derived from np.arange so the Rust test can recompute the expected values.
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def base(dtype, shape=(2, 3)):
    n = int(np.prod(shape))
    return (np.arange(n) - 2).astype(dtype).reshape(shape) if np.dtype(dtype).kind == "i" else np.arange(n).astype(dtype).reshape(shape)


# One file per dtype, shape (2, 3), values arange(6) (signed ints: arange(6) - 2).
for name in ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "float32", "float64"]:
    a = base(name)
    if name == "bool":
        a = (np.arange(6) % 2 == 0).reshape(2, 3)
    elif name.startswith("float"):
        a = (np.arange(6) * 0.5 - 1.0).astype(name).reshape(2, 3)
    np.save(path(f"{name}.npy"), a)

# Big-endian float64 and int32.
np.save(path("float64_be.npy"), (np.arange(6) * 0.5 - 1.0).astype(">f8").reshape(2, 3))
np.save(path("int32_be.npy"), (np.arange(6) - 2).astype(">i4").reshape(2, 3))
# Fortran order, shape (3, 4), values arange(12) as float32, and a 3-d int16 one (2, 3, 4).
np.save(path("fortran_f32.npy"), np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4)))
np.save(path("fortran_i16_3d.npy"), np.asfortranarray(np.arange(24, dtype=np.int16).reshape(2, 3, 4)))
# Format versions 2.0 and 3.0, float32 arange(4).
for version in [(2, 0), (3, 0)]:
    with open(path(f"v{version[0]}.npy"), "wb") as f:
        np.lib.format.write_array(f, np.arange(4, dtype=np.float32), version=version)
# A 0-d array, an empty one, a 1-d one.
np.save(path("scalar_f64.npy"), np.array(3.25))
np.save(path("empty_f32.npy"), np.zeros((0, 3), np.float32))
np.save(path("vector_i32.npy"), np.arange(5, dtype=np.int32))
# int64 that does not fit int32.
np.save(path("int64_big.npy"), np.array([1, 2**40, 3], dtype=np.int64))
# Unsupported dtypes.
np.save(path("complex64.npy"), np.arange(3).astype(np.complex64))
np.save(path("unicode.npy"), np.array(["ab", "c"]))
np.save(path("structured.npy"), np.zeros(2, dtype=[("a", "<i4"), ("b", "<f4")]))
# .npz: stored and deflated.
np.savez(path("stored.npz"), a=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.array([True, False]))
np.savez_compressed(path("compressed.npz"), np.arange(4, dtype=np.int64), x=np.full((2, 2), 7, np.uint8))
