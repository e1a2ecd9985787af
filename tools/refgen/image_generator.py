"""Reference numbers for tests/image_iterator.rs: Keras's legacy ImageDataGenerator.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/image_generator.py
Prints Rust constants to paste into the test.
"""
import numpy as np
from keras.src.legacy.preprocessing.image import ImageDataGenerator


def data(n, mod=101, scale=10.0):
    return (((np.arange(n) * 37) % mod) / scale).astype("float32")


def rs(name, a):
    vals = ", ".join(np.format_float_positional(v, unique=True, trim="0") for v in np.asarray(a, dtype="float32").ravel())
    print(f"const {name}: &[f32] = &[{vals}];")


# standardize after fit (featurewise), channels_last
x = data(3 * 4 * 5 * 3).reshape(3, 4, 5, 3)
g = ImageDataGenerator(rescale=1 / 255.0, featurewise_center=True, featurewise_std_normalization=True)
g.fit(x)
rs("FIT_MEAN", g.mean)
rs("FIT_STD", g.std)
rs("FEATUREWISE", g.standardize(np.copy(x[1])))
# channels_first
xc = np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))
g = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, data_format="channels_first")
g.fit(xc)
rs("FIT_MEAN_CF", g.mean)
rs("FIT_STD_CF", g.std)
rs("FEATUREWISE_CF", g.standardize(np.copy(xc[2])))
g = ImageDataGenerator(rescale=0.5, samplewise_center=True, samplewise_std_normalization=True)
rs("SAMPLEWISE", g.standardize(np.copy(x[0])))

# affine transforms with explicit parameters
img = data(5 * 6 * 2, mod=23, scale=3.0).reshape(5, 6, 2)
params = dict(theta=30.0, tx=1.3, ty=-0.7, shear=10.0, zx=0.8, zy=1.2)
for mode in ["nearest", "constant", "reflect", "wrap"]:
    g = ImageDataGenerator(fill_mode=mode, cval=-1.5)
    rs("AFFINE_" + mode.upper(), g.apply_transform(np.copy(img), params))
g = ImageDataGenerator(fill_mode="nearest", data_format="channels_first")
rs("AFFINE_CF", g.apply_transform(np.ascontiguousarray(np.transpose(img, (2, 0, 1))), dict(theta=-45.0, tx=0.5, zx=1.5, zy=1.5)))
g = ImageDataGenerator(fill_mode="constant", cval=0.0)
rs("ROT90_CONST", g.apply_transform(np.copy(img), dict(theta=90.0)))
rs("SHIFT_CONST", g.apply_transform(np.copy(img), dict(tx=2.0, ty=-1.0)))
g = ImageDataGenerator()
rs("CHANNEL_SHIFT", g.apply_transform(np.copy(img), dict(channel_shift_intensity=2.5, flip_horizontal=True)))

# Seeded draws: NumPy's MT19937 as Keras uses it.
np.random.seed(5)
print("const NP_PERM_SEED5_N10: &[usize] = &[" + ", ".join(str(v) for v in np.random.permutation(10)) + "];")
print("const NP_RANDOM_SEED5: &[f64] = &[" + ", ".join(repr(float(np.random.random())) for _ in range(3)) + "];")
print("const NP_RANDINT_SEED5: &[u64] = &[" + ", ".join(str(np.random.randint(0, 7)) for _ in range(5)) + "];")
img8 = data(8 * 7 * 3, mod=23, scale=3.0).reshape(8, 7, 3)
g = ImageDataGenerator(rotation_range=20, width_shift_range=0.2, height_shift_range=[1, 2], shear_range=5,
                       zoom_range=0.1, horizontal_flip=True, vertical_flip=True, channel_shift_range=0.5)
rs("RANDOM_SEED11", g.random_transform(np.copy(img8), seed=11))
rs("RANDOM_SEED12", g.random_transform(np.copy(img8), seed=12))
# The iterator: shuffled batches with a seed, through get and next.
xs = data(23 * 2 * 2 * 1, mod=97, scale=1.0).reshape(23, 2, 2, 1)
ys = np.arange(23, dtype="float32")
it = ImageDataGenerator(horizontal_flip=True).flow(xs, ys, batch_size=5, shuffle=True, seed=7)
got = [list(it[i][1]) for i in range(len(it))]
it.on_epoch_end()
got += [list(it[i][1]) for i in range(len(it))]
print("const ITER_GET_Y: &[&[f32]] = &[" + ", ".join("&[" + ", ".join(f"{v:.1f}" for v in b) + "]" for b in got) + "];")
rs("ITER_GET0_X", ImageDataGenerator(horizontal_flip=True).flow(xs, ys, batch_size=5, shuffle=True, seed=7)[0][0])
it = ImageDataGenerator(horizontal_flip=True).flow(xs, ys, batch_size=5, shuffle=True, seed=7)
got = [list(next(it)[1]) for _ in range(7)]
print("const ITER_NEXT_Y: &[&[f32]] = &[" + ", ".join("&[" + ", ".join(f"{v:.1f}" for v in b) + "]" for b in got) + "];")
