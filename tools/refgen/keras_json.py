"""Real `model.to_json()` outputs of Keras, pretty-printed, for the Rust loader's tests.
Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/keras_json.py
Writes tests/data/keras_json/{sequential_mlp,functional_two_branch,flatten_concat,custom_names}.json.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "keras_json")


def save(name, model):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(json.loads(model.to_json()), f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.normpath(path)} ({model.count_params()} params)")


def fresh():
    keras.backend.clear_session()  # restarts the automatic names (dense, dense_1, ...)


os.makedirs(OUT, exist_ok=True)

fresh()
save("sequential_mlp.json", keras.Sequential([
    keras.Input((64,)),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(10, activation="softmax"),
]))

fresh()
inp = keras.Input((8,))
a = layers.Dense(6, activation="relu")(inp)
b = layers.Dense(5, activation="tanh")(inp)
out = layers.Dense(3, activation="softmax")(layers.Concatenate()([a, b]))
save("functional_two_branch.json", keras.Model(inp, out))

fresh()
i1 = keras.Input((2, 4))
i2 = keras.Input((3,))
out = layers.Dense(4)(layers.Concatenate()([layers.Flatten()(i1), i2]))
save("flatten_concat.json", keras.Model([i1, i2], out))

fresh()
pixels = keras.Input((12,), name="pixels")
meta = keras.Input((3,), name="meta")
h = layers.Dense(16, activation="relu", name="hidden_1")(pixels)
h = layers.Dropout(0.1, name="drop")(h)
h = layers.Concatenate(axis=-1, name="join")([h, meta])
h = layers.Activation("tanh", name="squash")(h)
out = layers.Dense(2, activation="sigmoid", use_bias=False, name="scores")(h)
save("custom_names.json", keras.Model(inputs=[pixels, meta], outputs=out, name="my_custom_model"))
