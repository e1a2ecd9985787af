"""Shared helpers of the reference generators: write Keras results as conformance cases.

Pinned: keras==3.15.1, jax==0.10.2 (see requirements.txt). Run with KERAS_BACKEND=jax.
The format is ../shared/CONFORMANCE.md.
"""
import json
import math
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "conformance")


def _num(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def tensor(x):
    """A conformance tensor object from anything NumPy can take."""
    a = np.asarray(x)
    dtype = str(a.dtype)
    if a.dtype.kind == "f":
        data = [_num(v) for v in a.reshape(-1).tolist()]
    elif a.dtype.kind == "b":
        data = [bool(v) for v in a.reshape(-1).tolist()]
    else:
        data = [int(v) for v in a.reshape(-1).tolist()]
    return {"dtype": dtype, "shape": list(a.shape), "data": data}


def expected(result):
    """A result as the expected field: a tensor, or the flat list of a tuple's tensors."""
    if isinstance(result, (tuple, list)):
        out = []
        for r in result:
            e = expected(r)
            out.extend(e if isinstance(e, list) else [e])
        return out
    return tensor(result)


def arg(v):
    """An argument: arrays become tensors, other values stay plain JSON."""
    if isinstance(v, np.ndarray) or hasattr(v, "shape") and hasattr(v, "dtype"):
        return tensor(v)
    if isinstance(v, tuple):
        return [arg(x) for x in v]
    if isinstance(v, list):
        return [arg(x) for x in v]
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return _num(v)
    return v


def op_case(case_id, name, fn, args, kwargs=None, rtol=None, atol=None):
    """Runs fn(*args, **kwargs) and returns the `op` case."""
    kwargs = kwargs or {}
    result = fn(*args, **kwargs)
    case = {
        "id": case_id,
        "kind": "op",
        "name": name,
        "args": [arg(a) for a in args],
        "kwargs": {k: arg(v) for k, v in kwargs.items()},
        "expected": expected(result),
    }
    if rtol is not None:
        case["rtol"] = rtol
    if atol is not None:
        case["atol"] = atol
    return case


def write(filename, cases, made_with=None):
    """Writes the cases to tests/conformance/<filename>. The generator string names this script
    and `made_with` (default: the Keras version and backend, Keras being imported only then)."""
    if made_with is None:
        import keras

        made_with = f"keras {keras.__version__}, backend {keras.backend.backend()}"
    ids = [c["id"] for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        sys.exit(f"duplicate case ids: {sorted(dup)}")
    doc = {"generator": f"tools/refgen/{os.path.basename(sys.argv[0])} ({made_with})", "cases": cases}
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, filename)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")


def rng(seed):
    return np.random.default_rng(seed)


def randn_from(r):
    """randn(*shape): float32 standard normal draws from the NumPy generator r."""
    return lambda *shape: r.standard_normal(shape).astype(np.float32)


def case_adder(cases, namespace, prefix="", kind="op"):
    """case(cid, name, args, kwargs=None, **kw): appends to `cases` the case of
    getattr(namespace, name) named prefix + name, of the given kind."""

    def case(cid, name, args, kwargs=None, **kw):
        c = op_case(cid, prefix + name, getattr(namespace, name), args, kwargs, **kw)
        c["kind"] = kind
        cases.append(c)

    return case


def keras_config(obj, serialize=None):
    """A Keras object's serialized form, made plain JSON (NumPy scalars become numbers, tuples
    lists); fails if something in it is not JSON. `serialize` is e.g. keras.losses.serialize
    (default keras.saving.serialize_keras_object, which gives the same dict)."""
    import keras

    cfg = (serialize or keras.saving.serialize_keras_object)(obj)
    return plain_json(cfg)


def plain_json(v):
    """v as plain JSON: NumPy scalars and arrays to numbers and lists, non-finite floats to the
    strings of the format, tuples to lists; anything else not JSON raises."""
    if isinstance(v, dict):
        return {str(k): plain_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain_json(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return _num(v)
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, np.ndarray):
        return plain_json(v.tolist())
    raise TypeError(f"not plain JSON: {type(v).__name__} {v!r}")



def new_keras_session(seed):
    """Restarts Keras's automatic layer names (dense, dense_1, ...) and seeds every generator;
    returns a NumPy generator seeded the same way."""
    import keras
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    return rng(seed)


def model_fit_case(cid, model, optimizer, loss, metrics, x, y, batch_size, epochs, rtol, atol,
                   validation_split=None):
    """A `model_fit` case: records the model JSON, its weights and the compile arguments, fits
    with shuffle off, and records the final weights and the History."""
    import json
    import keras
    weights = [tensor(w) for w in model.get_weights()]
    model_json = json.loads(model.to_json())
    opt_config = keras_config(optimizer, keras.optimizers.serialize)
    loss_config = loss if isinstance(loss, str) else keras_config(loss, keras.losses.serialize)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    fit = {"batch_size": batch_size, "epochs": epochs, "shuffle": False}
    if validation_split is not None:
        fit["validation_split"] = validation_split
    hist = model.fit(x, y, verbose=0, **fit)
    return {
        "id": cid,
        "kind": "model_fit",
        "rtol": rtol,
        "atol": atol,
        "model": model_json,
        "weights": weights,
        "compile": {"optimizer": opt_config, "loss": loss_config, "metrics": list(metrics)},
        "x": tensor(x) if not isinstance(x, list) else [tensor(a) for a in x],
        "y": tensor(y),
        "fit": fit,
        "expected_weights": [tensor(w) for w in model.get_weights()],
        "expected_history": {k: [float(v) for v in vals] for k, vals in hist.history.items()},
    }


def layer_case(cid, layer, inputs, call_kwargs=None, weights=None, rtol=None, atol=None,
               build_if_needed=False):
    """A `layer` case: builds `layer` for the inputs' shapes (with `build_if_needed`, only when
    Keras has not built it at construction: then the config has no build_config, as Keras
    writes it), sets `weights` (a list, or a function of the built layer giving one), records
    the weights the call uses, calls it with `call_kwargs`, records the output."""
    import numpy as np
    import keras
    call_kwargs = call_kwargs or {}
    multi = isinstance(inputs, list)
    shape = [list(x.shape) for x in inputs] if multi else list(inputs.shape)
    if not (build_if_needed and layer.built):
        layer.build([tuple(s) for s in shape] if multi else tuple(shape))
    if callable(weights):
        weights = weights(layer)
    if weights is not None:
        layer.set_weights(weights)
    # Recorded before the call: a training call of BatchNormalization updates its statistics.
    used = [tensor(w) for w in layer.get_weights()]
    out = layer(inputs, **call_kwargs)
    c = {
        "id": cid,
        "kind": "layer",
        "config": keras_config(layer, keras.layers.serialize),
        "build_shape": shape,
        "weights": used,
        "inputs": [tensor(x) for x in inputs] if multi else tensor(inputs),
        "call_kwargs": call_kwargs,
        "expected": tensor(np.asarray(out)),
    }
    if rtol is not None:
        c["rtol"] = rtol
    if atol is not None:
        c["atol"] = atol
    return c


def metric_case(cid, metric, updates, rtol=None, atol=None):
    """A `metric` case: `update_state` for each update in order (`values` for Mean and Sum,
    `y_true`/`y_pred` otherwise, with an optional `sample_weight`), then `result()`."""
    import keras

    config = keras_config(metric, keras.metrics.serialize)
    out = []
    for u in updates:
        if type(metric) in (keras.metrics.Mean, keras.metrics.Sum):
            metric.update_state(u["values"], sample_weight=u.get("sample_weight"))
        else:
            metric.update_state(u["y_true"], u["y_pred"], sample_weight=u.get("sample_weight"))
        out.append({k: tensor(v) for k, v in u.items()})
    c = {"id": cid, "kind": "metric", "config": config, "updates": out,
         "expected": tensor(np.asarray(metric.result()))}
    if rtol is not None:
        c["rtol"] = rtol
    if atol is not None:
        c["atol"] = atol
    return c
