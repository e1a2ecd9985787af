"""Checks that Keras loads a model JSON (e.g. one written by wgkeras's `to_json()`).

Usage: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/keras_load_check.py MODEL.json
Loads the file with keras.models.model_from_json, prints model.summary() and then the line
`ok <number of parameters>`; on any failure prints the exception and exits with code 1.
Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).
"""
import os
import sys
import traceback

os.environ.setdefault("KERAS_BACKEND", "jax")


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} MODEL.json", file=sys.stderr)
        return 2
    for stream in (sys.stdout, sys.stderr):  # the summary draws boxes: never fail on the locale
        stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        import keras

        with open(argv[1]) as f:
            text = f.read()
        model = keras.models.model_from_json(text)
        if not isinstance(model, keras.Model):
            raise TypeError(f"model_from_json gave a {type(model).__name__}, not a keras.Model")
        model.summary()
        print(f"ok {model.count_params()}")
        return 0
    except Exception as e:  # noqa: BLE001 - every failure is reported the same way
        traceback.print_exc()
        print(f"error: {type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
