"""Checks conformance case files against ../shared/CONFORMANCE.md: the top-level object, unique
ids, the fields of each kind, every tensor (dtype, shape, data length, value types), no bare
NaN/Infinity in the JSON, and the file size (< 1 MB unless --no-size).

Run: /tmp/kvenv/bin/python tools/refgen/check_cases.py [FILE.json ...]
(default: every tests/conformance/*.json). Exit code 1 when anything is wrong.
"""
import glob
import json
import math
import os
import sys

DTYPES = {"float16", "bfloat16", "float32", "float64", "int8", "uint8", "int32", "int64", "bool"}
FIELDS = {
    "op": ["name", "args", "kwargs", "expected"],
    "activation": ["name", "kwargs", "x", "expected"],
    "loss": ["config", "y_true", "y_pred", "expected"],
    "metric": ["config", "updates", "expected"],
    "layer": ["config", "build_shape", "weights", "inputs", "call_kwargs", "expected"],
    "optimizer": ["config", "variables", "gradients", "expected"],
    "model_fit": ["model", "weights", "compile", "x", "y", "fit", "expected_weights", "expected_history"],
    "util": ["name", "args", "kwargs", "expected"],
}
TENSOR_FIELDS = {
    "activation": ["x", "expected"],
    "loss": ["y_true", "y_pred", "sample_weight", "expected"],
    "optimizer": ["variables", "gradients", "expected"],
    "layer": ["weights", "inputs", "expected"],
    "model_fit": ["weights", "x", "y", "expected_weights"],
}


def is_tensor(v):
    return isinstance(v, dict) and {"dtype", "shape", "data"} <= set(v)


def check_tensor(t, where, errs):
    if t["dtype"] not in DTYPES:
        errs.append(f"{where}: dtype {t['dtype']!r}")
        return
    shape = t["shape"]
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        errs.append(f"{where}: shape {shape!r}")
        return
    n = math.prod(shape)
    if len(t["data"]) != n:
        errs.append(f"{where}: {len(t['data'])} values for shape {shape}")
    for v in t["data"]:
        if t["dtype"] == "bool":
            ok = isinstance(v, bool)
        elif t["dtype"].startswith(("int", "uint")):
            ok = isinstance(v, int) and not isinstance(v, bool)
        else:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) or v in ("nan", "inf", "-inf")
        if not ok:
            errs.append(f"{where}: value {v!r} in a {t['dtype']} tensor")
            break


def tensors_in(v, where, errs, need):
    """Checks every tensor nested in v; with need, v must be a tensor or nested lists of them."""
    if is_tensor(v):
        check_tensor(v, where, errs)
    elif isinstance(v, list):
        if need and not v and where.endswith("expected"):
            errs.append(f"{where}: empty")
        for i, x in enumerate(v):
            tensors_in(x, f"{where}[{i}]", errs, need)
    elif isinstance(v, dict):
        for k, x in v.items():
            tensors_in(x, f"{where}.{k}", errs, False)
    elif need:
        errs.append(f"{where}: not a tensor: {str(v)[:60]}")


def bad_constant(name):
    raise ValueError(f"bare {name} in JSON")


def check_file(path, size_limit=True):
    errs = []
    if size_limit and os.path.getsize(path) >= 1 << 20:
        errs.append(f"file is {os.path.getsize(path)} bytes (>= 1 MB)")
    with open(path) as f:
        doc = json.load(f, parse_constant=bad_constant)
    if set(doc) != {"generator", "cases"} or not isinstance(doc["generator"], str):
        errs.append(f"top-level keys {sorted(doc)}")
    ids = set()
    for i, c in enumerate(doc["cases"]):
        cid = c.get("id")
        where = f"case {i} ({cid})"
        if not isinstance(cid, str) or cid in ids:
            errs.append(f"{where}: missing or duplicate id")
        ids.add(cid)
        kind = c.get("kind")
        if kind not in FIELDS:
            errs.append(f"{where}: kind {kind!r}")
            continue
        for k in FIELDS[kind]:
            if k not in c:
                errs.append(f"{where}: no field {k!r}")
        for k in ("rtol", "atol"):
            if k in c and not (isinstance(c[k], (int, float)) and c[k] >= 0):
                errs.append(f"{where}: {k} {c[k]!r}")
        for k in TENSOR_FIELDS.get(kind, []):
            if k in c:
                tensors_in(c[k], f"{where}.{k}", errs, True)
        for k in ("config", "model", "compile", "args", "kwargs", "call_kwargs"):
            if k in c:
                tensors_in(c[k], f"{where}.{k}", errs, False)
        if kind in ("loss", "optimizer", "layer") and not {"module", "class_name", "config"} <= set(c["config"]):
            errs.append(f"{where}: config is not a serialized Keras object")
        if kind == "model_fit":
            if set(c["fit"]) != {"batch_size", "epochs", "shuffle"}:
                errs.append(f"{where}: fit {c['fit']}")
            h = c["expected_history"]
            if not all(isinstance(v, list) and len(v) == c["fit"]["epochs"] for v in h.values()):
                errs.append(f"{where}: expected_history {h}")
            if len(c["weights"]) != len(c["expected_weights"]):
                errs.append(f"{where}: weights/expected_weights lengths differ")
        if kind == "optimizer":
            nv = len(c["variables"])
            if any(len(step) != nv for step in c["gradients"]) or len(c["expected"]) != nv:
                errs.append(f"{where}: gradient or expected count differs from the variables")
    return len(doc["cases"]), errs


def main(paths):
    paths = paths or sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "tests", "conformance", "*.json")))
    bad = 0
    for p in paths:
        n, errs = check_file(p)
        print(f"{os.path.basename(p)}: {n} cases, {'ok' if not errs else f'{len(errs)} problems'}")
        for e in errs[:20]:
            print("  " + e)
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
