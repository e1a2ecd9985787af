"""Replays `activation`, `loss`, `optimizer`, `layer` and `model_fit` cases with Keras from the
case fields alone (the way the Rust runner must: deserialize `config`, build, set weights, ...)
and compares with `expected` by the case tolerances. Checks that a case carries everything
needed to reproduce it. Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/replay_cases.py tests/conformance/losses.json ...
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import keras  # noqa: E402


def arr(t):
    data = [float(v) if isinstance(v, str) else v for v in t["data"]]
    return np.array(data, dtype=t["dtype"]).reshape(t["shape"])


def close(got, exp, case):
    e = arr(exp)
    got = np.asarray(got)
    if tuple(got.shape) != tuple(e.shape):
        return f"shape {got.shape} != {e.shape}"
    rtol, atol = case.get("rtol", 1e-5), case.get("atol", 1e-6)
    err = np.abs(got.astype("float64") - e.astype("float64")) - (atol + rtol * np.abs(e.astype("float64")))
    if np.any(err > 0):
        return f"max excess {err.max():.3g}"
    return None


def run(case):
    kind = case["kind"]
    if kind == "activation":
        out = getattr(keras.activations, case["name"])(arr(case["x"]), **case["kwargs"])
        return [close(out, case["expected"], case)]
    if kind == "loss":
        loss = keras.losses.deserialize(case["config"])
        sw = arr(case["sample_weight"]) if "sample_weight" in case else None
        return [close(loss(arr(case["y_true"]), arr(case["y_pred"]), sample_weight=sw), case["expected"], case)]
    if kind == "optimizer":
        opt = keras.optimizers.deserialize(case["config"])
        vs = [keras.Variable(arr(t)) for t in case["variables"]]
        for step in case["gradients"]:
            opt.apply_gradients(zip([arr(g) for g in step], vs))
        return [close(v.value, e, case) for v, e in zip(vs, case["expected"])]
    if kind == "layer":
        layer = keras.layers.deserialize(case["config"])
        bs = case["build_shape"]
        multi = isinstance(case["inputs"], list)
        if not layer.built:  # a config with build_config comes back built
            layer.build([tuple(s) for s in bs] if multi else tuple(bs))
        layer.set_weights([arr(w) for w in case["weights"]])
        inputs = [arr(t) for t in case["inputs"]] if multi else arr(case["inputs"])
        return [close(layer(inputs, **case["call_kwargs"]), case["expected"], case)]
    if kind == "model_fit":
        keras.backend.clear_session()
        model = keras.models.model_from_json(json.dumps(case["model"]))
        model.set_weights([arr(w) for w in case["weights"]])
        comp = case["compile"]
        opt = comp["optimizer"] if isinstance(comp["optimizer"], str) else keras.optimizers.deserialize(comp["optimizer"])
        loss = comp["loss"] if isinstance(comp["loss"], str) else keras.losses.deserialize(comp["loss"])
        model.compile(optimizer=opt, loss=loss, metrics=comp["metrics"])
        x = [arr(t) for t in case["x"]] if isinstance(case["x"], list) else arr(case["x"])
        h = model.fit(x, arr(case["y"]), verbose=0, **case["fit"]).history
        res = [close(w, e, case) for w, e in zip(model.get_weights(), case["expected_weights"])]
        if set(h) != set(case["expected_history"]):
            res.append(f"history keys {sorted(h)} != {sorted(case['expected_history'])}")
        for k, v in case["expected_history"].items():
            res.append(close(np.array(h.get(k, []), "float32"), {"dtype": "float32", "shape": [len(v)], "data": v}, case))
        return res
    return []


def main(paths):
    failed = 0
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        n = 0
        for c in doc["cases"]:
            problems = [m for m in run(c) if m]
            n += 1
            if problems:
                failed += 1
                print(f"FAIL {c['id']}: {problems}")
        print(f"{os.path.basename(p)}: replayed {n} cases")
    print(f"replay: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
