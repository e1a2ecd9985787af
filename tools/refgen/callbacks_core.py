"""Keras 3's behaviour for the training-steering callbacks, written to
tests/data/callbacks_core.json for tests/callbacks.rs:

- the order of every hook in fit (with validation), evaluate and predict, and set_params;
- EarlyStopping / ReduceLROnPlateau on fixed monitored sequences (a callback placed before
  them overwrites logs[monitor], so the sequence does not depend on the numbers of training);
- LearningRateScheduler's logged learning rates;
- ModelCheckpoint's file names (which epochs/batches save) and Python str.format results.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/callbacks_core.py
"""
import json
import os
import tempfile
import warnings

import numpy as np

import keras

warnings.simplefilter("ignore")
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "callbacks_core.json")


def model(lr=0.1):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    m.compile(keras.optimizers.SGD(lr), "mse")
    return m


def data(n, seed=0):
    r = np.random.RandomState(seed)
    return r.rand(n, 3).astype("float32"), r.rand(n, 2).astype("float32")


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []
        self.params_seen = []

    def set_params(self, params):
        super().set_params(params)
        if params:
            self.params_seen.append(
                {"epochs": params.get("epochs"), "steps": params.get("steps"), "verbose": params.get("verbose")}
            )


hooks = [
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
    "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
]


def make_hook(name):
    def hook(self, *args, **kwargs):
        arg = [a for a in args if isinstance(a, int)]
        self.calls.append(name + (f"({arg[0]})" if arg else ""))
    return hook


for h in hooks:
    setattr(Recorder, h, make_hook(h))


def hook_order():
    m = model()
    x, y = data(10)
    vx, vy = data(5, 1)
    rec = Recorder()
    m.fit(x, y, epochs=2, batch_size=4, validation_data=(vx, vy), callbacks=[rec], verbose=0, shuffle=False)
    fit_calls, fit_params = rec.calls, rec.params_seen
    rec = Recorder()
    m.evaluate(x, y, batch_size=4, callbacks=[rec], verbose=0)
    ev_calls, ev_params = rec.calls, rec.params_seen
    rec = Recorder()
    m.predict(x, batch_size=4, callbacks=[rec], verbose=0)
    return {
        "fit": fit_calls, "fit_params": fit_params, "evaluate": ev_calls, "evaluate_params": ev_params,
        "predict": rec.calls, "predict_params": rec.params_seen,
    }


class SetMonitor(keras.callbacks.Callback):
    def __init__(self, key, seq):
        super().__init__()
        self.key, self.seq = key, seq

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.seq[epoch]


ES_CASES = [
    ({}, [1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.7]),
    ({"patience": 2}, [1.0, 0.9, 0.95, 0.96, 0.8, 0.85, 0.86, 0.87, 0.7]),
    ({"patience": 2, "min_delta": 0.05}, [1.0, 0.9, 0.88, 0.87, 0.86, 0.5, 0.4]),
    ({"patience": 1, "restore_best_weights": True}, [1.0, 0.6, 0.9, 0.95, 0.4]),
    ({"patience": 2, "restore_best_weights": True}, [1.0, 0.8, 0.6, 0.7, 0.9, 0.3]),
    ({"patience": 2, "baseline": 0.5}, [1.0, 0.9, 0.8, 0.7, 0.6, 0.4]),
    ({"patience": 2, "baseline": 0.5, "restore_best_weights": True}, [1.0, 0.9, 0.8, 0.7, 0.6]),
    ({"patience": 1, "mode": "max", "monitor": "val_acc"}, [0.1, 0.5, 0.4, 0.3, 0.9]),
    ({"patience": 0, "start_from_epoch": 3}, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    ({"patience": 1, "start_from_epoch": 2, "restore_best_weights": True}, [1.0, 2.0, 3.0, 2.5, 4.0, 5.0]),
    ({"patience": 1, "monitor": "loss", "min_delta": -0.1}, [1.0, 1.05, 1.2, 1.1, 1.0]),
]


def early_stopping():
    out = []
    x, y = data(8)
    for args, seq in ES_CASES:
        m = model()
        es = keras.callbacks.EarlyStopping(**args)
        key = args.get("monitor", "val_loss")
        h = m.fit(x, y, epochs=len(seq), batch_size=4, verbose=0, shuffle=False,
                  callbacks=[SetMonitor(key, seq), es])
        out.append({
            "args": args, "seq": seq, "epochs_run": len(h.epoch), "stopped_epoch": es.stopped_epoch,
            "best_epoch": es.best_epoch, "best": es.best, "wait": es.wait,
            "restored": es.best_weights is not None,
        })
    return out


RLR_CASES = [
    ({"patience": 1}, [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7]),
    ({"patience": 2, "factor": 0.5, "cooldown": 1}, [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 0.1, 0.2, 0.3]),
    ({"patience": 1, "factor": 0.2, "min_lr": 0.003}, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    ({"patience": 1, "min_delta": 0.1}, [1.0, 0.95, 0.8, 0.75, 0.6, 0.55]),
    ({"patience": 1, "mode": "max", "monitor": "val_acc", "factor": 0.5}, [0.1, 0.2, 0.15, 0.3, 0.25, 0.2]),
    ({"patience": 3, "factor": 0.3, "cooldown": 2}, [1.0] * 12),
]


def reduce_lr():
    out = []
    x, y = data(8)
    for args, seq in RLR_CASES:
        m = model(0.1)
        key = args.get("monitor", "val_loss")
        cb = keras.callbacks.ReduceLROnPlateau(**args)
        h = m.fit(x, y, epochs=len(seq), batch_size=4, verbose=0, shuffle=False,
                  callbacks=[SetMonitor(key, seq), cb])
        out.append({"args": args, "seq": seq, "learning_rate": h.history["learning_rate"]})
    return out


def lr_scheduler():
    x, y = data(8)
    m = model(0.1)
    init = [w.tolist() for w in m.get_weights()]
    cb = keras.callbacks.LearningRateScheduler(lambda e, lr: lr if e < 2 else lr * 0.5)
    h = m.fit(x, y, epochs=5, batch_size=4, verbose=0, shuffle=False, callbacks=[cb])
    m2 = model(0.1)
    cb = keras.callbacks.LearningRateScheduler(lambda e, lr: 0.01 * (e + 1))
    h2 = m2.fit(x, y, epochs=3, batch_size=4, verbose=0, shuffle=False, callbacks=[cb])
    return {
        "halve_from_2": h.history["learning_rate"], "halve_from_2_loss": h.history["loss"],
        "linear": h2.history["learning_rate"], "linear_loss": h2.history["loss"],
        "keys": list(h.history.keys()), "weights": init, "x": x.tolist(), "y": y.tolist(),
    }


def checkpoint_names():
    out = []
    x, y = data(8)
    vx, vy = data(4, 1)
    cases = [
        ("{epoch:02d}-{val_loss:.2f}.weights.h5", {}, [0.5, 0.4, 0.45, 0.3]),
        ("w-{epoch}.weights.h5", {"save_best_only": True}, [0.5, 0.4, 0.45, 0.3, 0.35]),
        ("w-{epoch:03d}.weights.h5", {"save_best_only": True, "mode": "max", "monitor": "val_acc"},
         [0.5, 0.4, 0.6, 0.6, 0.7]),
        ("w-{epoch}.weights.h5", {"save_best_only": True, "initial_value_threshold": 0.42},
         [0.5, 0.4, 0.45, 0.3]),
        ("e{epoch}-b{batch}.weights.h5", {"save_freq": 3}, [0.1, 0.1, 0.1]),
    ]
    for tmpl, args, seq in cases:
        with tempfile.TemporaryDirectory() as d:
            m = model()
            key = args.get("monitor", "val_loss")
            cb = keras.callbacks.ModelCheckpoint(os.path.join(d, tmpl), save_weights_only=True, **args)
            m.fit(x, y, epochs=len(seq), batch_size=2, verbose=0, shuffle=False,
                  validation_data=(vx, vy), callbacks=[SetMonitor(key, seq), cb])
            files = sorted(os.listdir(d))
        out.append({"template": tmpl, "args": args, "seq": seq, "files": files})
    return out


FORMATS = [
    ("{epoch:02d}", {"epoch": 3}), ("{epoch}", {"epoch": 12}), ("{epoch:>4}", {"epoch": 7}),
    ("{epoch:<4}|", {"epoch": 7}), ("{epoch:^5}|", {"epoch": 7}), ("{epoch:+d}", {"epoch": 7}),
    ("{epoch:*^7d}", {"epoch": 42}), ("{epoch:.2f}", {"epoch": 3}), ("{epoch:e}", {"epoch": 3}),
    ("{epoch:,d}", {"epoch": 1234567}), ("{epoch:x}", {"epoch": 255}), ("{epoch:#x}", {"epoch": 255}),
    ("{loss:.2f}", {"loss": 0.123456}), ("{loss:.4f}", {"loss": 1.0 / 3}), ("{loss}", {"loss": 0.1}),
    ("{loss}", {"loss": 1e-05}), ("{loss}", {"loss": 3.0}), ("{loss}", {"loss": 1.5e16}),
    ("{loss}", {"loss": 123456.789}), ("{loss}", {"loss": float(np.float32(0.1))}),
    ("{loss:.3e}", {"loss": 0.000123456}), ("{loss:e}", {"loss": 12345.678}), ("{loss:E}", {"loss": 1e-10}),
    ("{loss:g}", {"loss": 0.0001234}), ("{loss:g}", {"loss": 1234567.0}), ("{loss:.3g}", {"loss": 0.5}),
    ("{loss:.3g}", {"loss": 99.96}), ("{loss:.2g}", {"loss": 0.00001}), ("{loss:G}", {"loss": 1e-20}),
    ("{loss:#.3g}", {"loss": 1.0}), ("{loss:.3}", {"loss": 123.0}), ("{loss:.3}", {"loss": 12.0}),
    ("{loss:.3}", {"loss": 0.5}), ("{loss:.2%}", {"loss": 0.1234}), ("{loss:08.3f}", {"loss": -3.14159}),
    ("{loss:+.1f}", {"loss": 2.25}), ("{loss: .1f}", {"loss": 2.35}), ("{loss:10.3f}|", {"loss": 2.5}),
    ("{loss:<10.3f}|", {"loss": 2.5}), ("{loss:.2f}", {"loss": float("nan")}), ("{loss:f}", {"loss": float("inf")}),
    ("{loss:.1f}", {"loss": 0.25}), ("{loss:.1f}", {"loss": 0.35}), ("{loss:.0f}", {"loss": 2.5}),
    ("{{literal}}-{epoch}", {"epoch": 1}), ("{loss!r}", {"loss": 0.5}), ("{loss:,.2f}", {"loss": 1234567.891}),
    ("{loss:g}", {"loss": 0.0}), ("{loss:.2}", {"loss": 0.0}), ("{epoch:d}", {"epoch": -5}),
    ("{epoch:05d}", {"epoch": -5}), ("{loss:.3f}", {"loss": -0.0004}),
    # errors
    ("{epoch:.2d}", {"epoch": 1}), ("{loss:d}", {"loss": 1.5}), ("{missing}", {"epoch": 1}),
    ("{epoch:q}", {"epoch": 1}), ("{epoch", {"epoch": 1}), ("epoch}", {"epoch": 1}),
]


def formats():
    out = []
    for t, v in FORMATS:
        try:
            res = {"ok": t.format(**v)}
        except Exception as e:
            res = {"error": type(e).__name__}
        # Values as [type, repr] (JSON has no NaN or infinity).
        enc = {k: [type(x).__name__, repr(x)] for k, x in v.items()}
        out.append({"template": t, "values": enc, **res})
    return out


def bad_paths():
    out = []
    for path, wo in [("m.h5", False), ("m.keras", False), ("m.weights.h5", True), ("m.txt", False),
                     ("m.keras", True), ("m.h5", True), ("m", False)]:
        try:
            keras.callbacks.ModelCheckpoint(path, save_weights_only=wo)
            out.append({"path": path, "weights_only": wo, "ok": True})
        except ValueError as e:
            out.append({"path": path, "weights_only": wo, "ok": False, "message": str(e)})
    return out


res = {
    "hook_order": hook_order(), "early_stopping": early_stopping(), "reduce_lr": reduce_lr(),
    "lr_scheduler": lr_scheduler(), "checkpoint_names": checkpoint_names(), "formats": formats(),
    "bad_paths": bad_paths(),
}
with open(OUT, "w") as f:
    json.dump(res, f, indent=1)
print("wrote", OUT)
