"""Golden outputs of keras.utils.Progbar (Keras 3.15.1) for the Rust replay test.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/progbar_golden.py
Writes tests/data/progbar_golden.json, read by tests/progbar.rs.

Each case builds a real Keras Progbar with a fake clock (the `time` module that
keras.src.utils.progbar sees is replaced by one whose time() returns a value the
script sets before every call) and captures what it writes to sys.stdout. The
display mode is forced after construction: `dynamic` sets `_dynamic_display`
(the "\\b...\\r" redraw) and non-dynamic gives the "\\n" form.

Floats (times and metric values) are stored as Python repr strings so the Rust
side parses exactly the same bits (str::parse::<f64> rounds correctly).
"""
import io
import json
import os
import random
import sys
import types

os.environ.setdefault("KERAS_BACKEND", "jax")

from keras.src.utils import io_utils  # noqa: E402
from keras.src.utils import progbar as progbar_mod  # noqa: E402

OUT = os.path.join(
    os.path.dirname(__file__), "..", "..", "tests", "data", "progbar_golden.json"
)

_NOW = [0.0]
progbar_mod.time = types.SimpleNamespace(time=lambda: _NOW[0])


def f(x):
    return repr(float(x))


def run_case(name, kwargs, dynamic, start, steps):
    """steps: list of dicts {op: update|add|set_target, ...}, each with `time`."""
    io_utils.enable_interactive_logging()
    real = sys.stdout
    buf = io.StringIO()
    sys.stdout = buf
    outputs = []
    try:
        _NOW[0] = float(start)
        pb = progbar_mod.Progbar(**kwargs)
        pb._dynamic_display = dynamic
        for s in steps:
            before = buf.tell()
            _NOW[0] = float(s.get("time", _NOW[0]))
            vals = [(k, float(v)) for k, v in s.get("values", [])] or None
            if s["op"] == "update":
                pb.update(s["current"], vals, finalize=s.get("finalize"))
            elif s["op"] == "add":
                pb.add(s["n"], vals)
            elif s["op"] == "set_target":
                pb.target = s["target"]
            else:
                raise ValueError(s["op"])
            outputs.append(buf.getvalue()[before:])
    finally:
        sys.stdout = real
    jsteps = []
    for s in steps:
        js = {"op": s["op"]}
        if "time" in s:
            js["time"] = f(s["time"])
        for key in ("current", "n", "target", "finalize"):
            if key in s:
                js[key] = s[key]
        if s.get("values"):
            js["values"] = [[k, f(v)] for k, v in s["values"]]
        jsteps.append(js)
    jargs = dict(kwargs)
    for key in ("stateful_metrics", "stateless_metrics"):
        if jargs.get(key) is not None:
            jargs[key] = sorted(jargs[key])
    return {
        "name": name,
        "args": jargs,
        "dynamic": dynamic,
        "start": f(start),
        "steps": jsteps,
        "outputs": outputs,
        "output": "".join(outputs),
    }


def ups(times, currents, metrics=None, finalize=None):
    steps = []
    for i, (t, c) in enumerate(zip(times, currents)):
        s = {"op": "update", "time": t, "current": c}
        if metrics is not None:
            s["values"] = metrics(i, c)
        if finalize is not None and finalize[i] is not None:
            s["finalize"] = finalize[i]
        steps.append(s)
    return steps


def both(cases, name, kwargs, start, steps):
    for dyn in (False, True):
        cases.append(
            run_case(f"{name}/{'dyn' if dyn else 'nl'}", kwargs, dyn, start, steps)
        )


def main():
    cases = []
    T0 = 1700000000.25

    # Plain training epoch: two averaged metrics, steps every 0.1 s.
    steps = ups(
        [T0 + 0.1 * (i + 1) for i in range(10)],
        list(range(1, 11)),
        lambda i, c: [("loss", 2.5 / (i + 1)), ("accuracy", 0.1 * i)],
    )
    both(cases, "basic", {"target": 10}, T0, steps)

    # Stateful metrics shown as-is, mixed with averaged ones; uneven steps.
    steps = ups(
        [T0 + 0.3, T0 + 0.31, T0 + 0.9, T0 + 1.7, T0 + 2.05, T0 + 3.2],
        [1, 3, 7, 8, 15, 20],
        lambda i, c: [
            ("loss", 1.0 - 0.04 * c),
            ("lr", 0.001 * (0.5**i)),
            ("val_acc", 0.25 * (i % 4)),
        ],
    )
    both(
        cases,
        "stateful",
        {"target": 20, "stateful_metrics": ["lr", "val_acc"]},
        T0,
        steps,
    )
    # stateless_metrics: only those named are averaged.
    both(
        cases,
        "stateless_list",
        {"target": 20, "stateless_metrics": ["loss"]},
        T0,
        steps,
    )

    # Interval throttle: updates closer than `interval` are skipped (except
    # finalize), and the average still accumulates.
    steps = ups(
        [T0 + t for t in (0.01, 0.02, 0.2, 0.21, 0.5, 0.52, 0.53)],
        [1, 2, 3, 4, 5, 6, 7],
        lambda i, c: [("loss", float(i))],
    )
    both(cases, "interval", {"target": 7, "interval": 0.1}, T0, steps)
    # Clock starting at 0: the first update before `interval` is skipped
    # (_last_update starts at 0).
    steps = ups([0.01, 0.02, 0.06, 0.2], [1, 2, 3, 4], lambda i, c: [("m", 3.0)])
    both(cases, "clock_at_zero", {"target": 4}, 0.0, steps)

    # Unknown target, then a finalizing update (what fit does in epoch 1).
    steps = ups(
        [T0 + 0.5, T0 + 1.0, T0 + 1.5, T0 + 2.75],
        [1, 2, 3, 3],
        lambda i, c: [("loss", 0.5 - 0.1 * i), ("acc", 0.7)],
        finalize=[None, None, None, True],
    )
    both(
        cases,
        "unknown_target",
        {"target": None, "stateful_metrics": ["acc"]},
        T0,
        steps,
    )
    # ProgbarLogger style: unknown target then the target set before finalize.
    steps = ups(
        [T0 + 1, T0 + 2, T0 + 3],
        [1, 2, 3],
        lambda i, c: [("loss", 0.9 - 0.2 * i)],
        finalize=[False, False, False],
    )
    steps.append({"op": "set_target", "target": 3})
    steps.append(
        {
            "op": "update",
            "time": T0 + 3.5,
            "current": 3,
            "values": [("loss", 0.4)],
            "finalize": True,
        }
    )
    both(cases, "set_target", {"target": None}, T0, steps)
    # target 0 is shown as Unknown.
    steps = ups([T0 + 1, T0 + 2], [1, 2], lambda i, c: [("x", 1.5)])
    both(cases, "target_zero", {"target": 0}, T0, steps)

    # ETA in h:mm:ss, m:ss and s, with s/step, ms/step, us/step.
    steps = ups(
        [T0 + 7.0, T0 + 14.5, T0 + 22.0, T0 + 29.0],
        [1, 2, 3, 4],
        lambda i, c: [("loss", 12345.678)],
    )
    both(cases, "eta_hours", {"target": 1000}, T0, steps)
    steps = ups(
        [T0 + 1.0, T0 + 2.0, T0 + 3.0, T0 + 70.0, T0 + 71.0],
        [1, 2, 3, 50, 100],
        lambda i, c: [("loss", 1e-5 * (i + 1))],
    )
    both(cases, "eta_minutes", {"target": 200}, T0, steps)
    steps = ups(
        [T0 + 0.0005, T0 + 0.0011, T0 + 0.2, T0 + 0.25],
        [1, 2, 4000, 12345],
        lambda i, c: [("loss", -0.5 * i), ("tiny", 1e-4), ("zero", 0.0)],
    )
    both(cases, "fast_steps", {"target": 12345, "unit_name": "sample"}, T0, steps)

    # Shrinking lines in dynamic mode (padding with spaces).
    steps = ups(
        [T0 + 3600.0, T0 + 3700.0, T0 + 3701.0, T0 + 3702.0],
        [1, 2, 3, 4],
        lambda i, c: [("loss", [123456.5, 10.25, 1.5, 0.5][i])],
    )
    both(cases, "shrinking", {"target": 5, "width": 10}, T0, steps)

    # finalize forced True early and False at the target; current past the
    # target; current going back.
    steps = ups(
        [T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5, T0 + 6],
        [2, 5, 6, 4, 8, 8],
        lambda i, c: [("loss", 0.1 * (i + 1)), ("s", float(i))],
        finalize=[None, True, False, None, False, None],
    )
    both(cases, "finalize_flags", {"target": 5, "stateful_metrics": ["s"]}, T0, steps)

    # add(): increments.
    steps = [
        {"op": "add", "time": T0 + 0.5, "n": 4, "values": [("loss", 2.0)]},
        {"op": "add", "time": T0 + 1.0, "n": 4, "values": [("loss", 1.0)]},
        {"op": "add", "time": T0 + 1.5, "n": 0, "values": [("loss", 7.0)]},
        {"op": "add", "time": T0 + 2.0, "n": 2, "values": [("loss", 0.5)]},
    ]
    both(cases, "add", {"target": 10}, T0, steps)

    # Special values.
    steps = ups(
        [T0 + 1, T0 + 2, T0 + 3],
        [1, 2, 3],
        lambda i, c: [
            ("n", float("nan")),
            ("i", float("inf")),
            ("ni", float("-inf")),
            ("neg", -1e-4),
            ("edge", 0.001),
        ],
    )
    both(cases, "special_values", {"target": 3}, T0, steps)

    # Width, big step counts.
    steps = ups(
        [T0 + 10, T0 + 20, T0 + 30],
        [1, 333333, 1000000],
        lambda i, c: [("loss", 0.123456789)],
    )
    both(cases, "wide", {"target": 1000000, "width": 37}, T0, steps)

    # verbose=2: only the finalizing update prints.
    steps = ups(
        [T0 + 0.2, T0 + 0.4, T0 + 0.6, T0 + 0.9],
        [1, 2, 3, 4],
        lambda i, c: [("loss", 0.5 - 0.2 * i), ("tiny", 2e-4), ("lr", 0.01)],
    )
    both(cases, "verbose2", {"target": 4, "verbose": 2, "stateful_metrics": ["lr"]}, T0, steps)
    steps = ups(
        [T0 + 100, T0 + 200, T0 + 201],
        [1, 2, 2],
        lambda i, c: [("loss", 1.0)],
        finalize=[None, None, True],
    )
    both(cases, "verbose2_unknown", {"target": None, "verbose": 2}, T0, steps)
    steps = ups([T0 + 1, T0 + 3], [3, 3], lambda i, c: [("loss", 2.0)], finalize=[True, True])
    both(cases, "verbose2_repeat", {"target": 3, "verbose": 2}, T0, steps)
    # verbose=0 prints nothing.
    steps = ups([T0 + 1, T0 + 2], [1, 2], lambda i, c: [("loss", 2.0)])
    both(cases, "verbose0", {"target": 2, "verbose": 0}, T0, steps)

    # Random sequences.
    rng = random.Random(1234)
    for r in range(12):
        target = rng.choice([None, 1, 7, 64, 100, 999, 1000, 5000])
        kwargs = {"target": target}
        if rng.random() < 0.5:
            kwargs["width"] = rng.choice([1, 5, 20, 30])
        kwargs["verbose"] = rng.choice([1, 1, 1, 2])
        if rng.random() < 0.5:
            kwargs["interval"] = rng.choice([0.0, 0.05, 0.5])
        names = ["loss", "acc", "lr", "mae"][: rng.randint(0, 4)]
        if names and rng.random() < 0.6:
            kwargs["stateful_metrics"] = rng.sample(names, rng.randint(1, len(names)))
        if rng.random() < 0.3:
            kwargs["unit_name"] = "batch"
        t = T0 + rng.random() * 100
        start = t
        cur = 0
        steps = []
        n = rng.randint(1, 15)
        for j in range(n):
            t += rng.choice([0.0001, 0.003, 0.04, 0.3, 2.0, 75.0])
            cur += rng.choice([0, 1, 1, 2, 5, 50])
            vals = [
                (k, rng.choice([rng.uniform(-3, 3), rng.uniform(0, 1e-3), rng.uniform(0, 1e6)]))
                for k in names
                if rng.random() < 0.9
            ]
            s = {"op": "update", "time": t, "current": cur, "values": vals}
            if j == n - 1 and rng.random() < 0.7:
                s["finalize"] = True
            elif rng.random() < 0.1:
                s["finalize"] = rng.choice([True, False])
            steps.append(s)
        cases.append(run_case(f"random{r}", kwargs, rng.random() < 0.5, start, steps))

    with open(OUT, "w") as fh:
        json.dump({"keras": "3.15.1", "cases": cases}, fh, indent=1, ensure_ascii=True)
        fh.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
