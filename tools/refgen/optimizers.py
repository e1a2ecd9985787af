"""Reference cases for the optimizers SGD, Adam and RMSprop, as `optimizer` cases: each config
applied with `apply_gradients` over 4 steps to 3 variables of different shapes, plus the base
optimizer's weight_decay, clipnorm, clipvalue and global_clipnorm for each class.
Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/optimizers.py
Writes tests/conformance/optimizers.json.

Keras facts (keras/src/optimizers/base_optimizer.py, sgd.py, adam.py, rmsprop.py), per step:
1. clip the gradients: clipnorm (each gradient g * c / max(||g||, c)), else global_clipnorm
   (all gradients * c * min(1/global_norm, 1/c)), else clipvalue (clip to [-v, v]); only one of
   them may be set;
2. weight decay (when weight_decay is not None): var -= var * wd * lr, before the update and
   with the un-clipped learning rate, for SGD/Adam/RMSprop alike;
3. the update step, with t = iterations + 1 (iterations counts apply calls, starting at 0):
   SGD: m = momentum*m - lr*g; var += m (nesterov: var += momentum*m - lr*g); momentum 0: var -= lr*g.
   Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); (amsgrad: vhat = max(vhat, v), used as v);
     var -= m * lr*sqrt(1 - b2^t)/(1 - b1^t) / (sqrt(v) + eps)   (eps outside the bias correction).
   RMSprop: v = rho*v + (1-rho) g^2; centered: a = rho*a + (1-rho) g, den = v - a^2 + eps, else
     den = v + eps; inc = lr*g/sqrt(den); momentum > 0: m = momentum*m + inc, var -= m; else var -= inc.
The learning rate is stored as a float32 variable, so `learning_rate` in the config reads e.g.
0.009999999776482582 for 0.01.
"""
import numpy as np
import keras

from common import keras_config, rng, tensor, write

r = rng(20260303)
cases = []
SHAPES = [(3,), (2, 3), (4, 1, 2)]
STEPS = 4


def run_case(cid, opt, steps=STEPS, grad_scale=1.0, rtol=1e-5, atol=2e-6):
    init = [r.standard_normal(s).astype("float32") for s in SHAPES]
    grads = [[(r.standard_normal(s) * grad_scale).astype("float32") for s in SHAPES] for _ in range(steps)]
    config = keras_config(opt, keras.optimizers.serialize)
    variables = [keras.Variable(v.copy(), name=f"v{i}") for i, v in enumerate(init)]
    for step in grads:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step], variables))
    c = {
        "id": cid,
        "kind": "optimizer",
        "config": config,
        "variables": [tensor(v) for v in init],
        "gradients": [[tensor(g) for g in step] for step in grads],
        "expected": [tensor(np.asarray(v.value)) for v in variables],
    }
    if rtol is not None:
        c["rtol"] = rtol
    if atol is not None:
        c["atol"] = atol
    cases.append(c)


BASES = {
    "sgd_default": lambda **kw: keras.optimizers.SGD(**kw),
    "sgd_lr0.1": lambda **kw: keras.optimizers.SGD(learning_rate=0.1, **kw),
    "sgd_momentum0.9": lambda **kw: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, **kw),
    "sgd_nesterov": lambda **kw: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True, **kw),
    "adam_default": lambda **kw: keras.optimizers.Adam(**kw),
    "adam_lr0.01": lambda **kw: keras.optimizers.Adam(learning_rate=0.01, **kw),
    "adam_amsgrad": lambda **kw: keras.optimizers.Adam(learning_rate=0.01, amsgrad=True, **kw),
    "adam_custom_betas": lambda **kw: keras.optimizers.Adam(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-4, **kw),
    "adam_amsgrad_custom": lambda **kw: keras.optimizers.Adam(learning_rate=0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-3, amsgrad=True, **kw),
    "rmsprop_default": lambda **kw: keras.optimizers.RMSprop(**kw),
    "rmsprop_rho": lambda **kw: keras.optimizers.RMSprop(learning_rate=0.01, rho=0.8, epsilon=1e-4, **kw),
    "rmsprop_momentum": lambda **kw: keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.5, **kw),
    "rmsprop_centered": lambda **kw: keras.optimizers.RMSprop(learning_rate=0.01, centered=True, **kw),
    "rmsprop_centered_momentum": lambda **kw: keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.9, centered=True, **kw),
}
for name, make in BASES.items():
    run_case(name, make())

EXTRAS = {
    "weight_decay": ({"weight_decay": 0.1}, 1.0),
    "clipnorm": ({"clipnorm": 1.0}, 3.0),
    "clipvalue": ({"clipvalue": 0.5}, 1.0),
    "global_clipnorm": ({"global_clipnorm": 2.0}, 3.0),
}
for base in ["sgd_lr0.1", "sgd_momentum0.9", "adam_lr0.01", "rmsprop_default", "rmsprop_centered_momentum"]:
    for tag, (kw, scale) in EXTRAS.items():
        run_case(f"{base}_{tag}", BASES[base](**kw), grad_scale=scale)
# weight decay together with clipping; gradients small enough that clipping does nothing
run_case("sgd_nesterov_weight_decay_clipnorm", BASES["sgd_nesterov"](weight_decay=0.05, clipnorm=1.0), grad_scale=3.0)
run_case("adam_amsgrad_weight_decay_global_clipnorm", BASES["adam_amsgrad"](weight_decay=0.05, global_clipnorm=1.0), grad_scale=3.0)
run_case("adam_clipnorm_inactive", BASES["adam_lr0.01"](clipnorm=100.0))
run_case("rmsprop_clipvalue_inactive", BASES["rmsprop_default"](clipvalue=100.0))
# more steps, so the bias correction of Adam moves on
run_case("adam_default_10_steps", BASES["adam_default"](), steps=10)
run_case("rmsprop_centered_10_steps", BASES["rmsprop_centered"](), steps=10)

write("optimizers.json", cases)
