"""Golden `model.summary()` texts of Keras for the Rust summary tests (tests/models.rs).
Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/model_summary.py
Writes tests/data/summary/{sequential_mlp,functional_two_branch}.txt: exactly the text Keras
hands to `print_fn` (the whole table and the parameter lines, one string).
Every layer is named explicitly so the Rust test can use the same names.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "summary")


def save(name, model):
    parts = []
    model.summary(print_fn=lambda s, line_break=None: parts.append(s))
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(parts))
    print(f"wrote {os.path.normpath(path)}")


os.makedirs(OUT, exist_ok=True)

keras.backend.clear_session()
save("sequential_mlp.txt", keras.Sequential([
    keras.Input((64,), name="input_layer"),
    layers.Dense(128, activation="relu", name="dense"),
    layers.Dropout(0.2, name="dropout"),
    layers.Dense(10, activation="softmax", name="dense_1"),
], name="sequential"))

keras.backend.clear_session()
inp = keras.Input((8,), name="input_layer")
a = layers.Dense(6, activation="relu", name="dense")(inp)
b = layers.Dense(5, activation="tanh", name="dense_1")(inp)
c = layers.Concatenate(name="concatenate")([a, b])
out = layers.Dense(3, activation="softmax", name="dense_2")(c)
save("functional_two_branch.txt", keras.Model(inp, out, name="functional"))

# Two inputs, a Dense shared by both (two nodes), two outputs (tests/models.rs
# `shared_two_in_two_out("sm")`).
keras.backend.clear_session()
a = keras.Input((3,), name="sm_a")
b = keras.Input((3,), name="sm_b")
shared = layers.Dense(4, activation="tanh", name="sm_shared")
ha = shared(a)
hb = shared(b)
h = layers.Concatenate(axis=-1, name="sm_cat")([ha, hb])
o1 = layers.Dense(1, name="sm_out_a")(h)
o2 = layers.Dense(2, activation="softmax", name="sm_out_b")(hb)
save("shared_two_in_two_out.txt", keras.Model([a, b], [o1, o2], name="sm_model"))
