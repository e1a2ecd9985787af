"""Reference cases for every Keras optimizer implemented here (SGD, Adam, AdamW, RMSprop, Adagrad,
Adadelta, Adamax, Nadam, Lion, Ftrl, Lamb), as `optimizer` cases: each config applied with
`apply_gradients` over several steps to 3 variables of different shapes, plus the base
optimizer's options (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema with and without
ema_overwrite_frequency, gradient_accumulation_steps, loss_scale_factor) and learning-rate
schedules as `learning_rate`. Each case also records Keras's `optimizer.iterations` after the
steps ("iterations"), which gradient accumulation divides.
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
4. (JAX backend, keras/src/backend/jax/optimizer.py) gradient accumulation: the update runs every
   call on grads (g + acc) / n when (calls + 1) % n == 0, else on the raw g, and every new value
   (weights, slots, Nadam's u_product) is kept only on update calls; acc = 0 on update calls,
   else g + acc. `iterations` (used by t, EMA) is calls // n; a schedule reads the raw calls.
5. EMA: avg = mom*avg + (1-mom)*var with mom = ema_momentum except 0 on the first update, after
   the update; every ema_overwrite_frequency updates ((iterations+1) % f == 0) var = avg.
6. loss_scale_factor: gradients divided by it first.
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
        "iterations": int(opt.iterations),
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


O = keras.optimizers
MORE = {
    "adamw_default": lambda **kw: O.AdamW(**kw),
    "adamw_custom": lambda **kw: O.AdamW(learning_rate=0.02, weight_decay=0.1, beta_1=0.8, beta_2=0.99, epsilon=1e-4, **kw),
    "adamw_amsgrad": lambda **kw: O.AdamW(learning_rate=0.01, amsgrad=True, **kw),
    "adagrad_default": lambda **kw: O.Adagrad(**kw),
    "adagrad_custom": lambda **kw: O.Adagrad(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-3, **kw),
    "adadelta_default": lambda **kw: O.Adadelta(**kw),
    "adadelta_custom": lambda **kw: O.Adadelta(learning_rate=1.0, rho=0.8, epsilon=1e-4, **kw),
    "adamax_default": lambda **kw: O.Adamax(**kw),
    "adamax_custom": lambda **kw: O.Adamax(learning_rate=0.02, beta_1=0.7, beta_2=0.95, epsilon=1e-3, **kw),
    "nadam_default": lambda **kw: O.Nadam(**kw),
    "nadam_custom": lambda **kw: O.Nadam(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-4, **kw),
    "lion_default": lambda **kw: O.Lion(**kw),
    "lion_custom": lambda **kw: O.Lion(learning_rate=0.01, beta_1=0.5, beta_2=0.9, **kw),
    "ftrl_default": lambda **kw: O.Ftrl(**kw),
    "ftrl_l1_l2": lambda **kw: O.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02, **kw),
    "ftrl_full": lambda **kw: O.Ftrl(learning_rate=0.05, learning_rate_power=-0.3, initial_accumulator_value=0.3,
                                     l1_regularization_strength=0.005, l2_regularization_strength=0.01,
                                     l2_shrinkage_regularization_strength=0.03, beta=0.2, **kw),
    "ftrl_power0": lambda **kw: O.Ftrl(learning_rate=0.1, learning_rate_power=0.0, **kw),
    "lamb_default": lambda **kw: O.Lamb(**kw),
    "lamb_custom": lambda **kw: O.Lamb(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-4, **kw),
}
BASES.update(MORE)
for name, make in MORE.items():
    run_case(name, make(), rtol=2e-5, atol=5e-6)
for base in ["adagrad_custom", "adadelta_custom", "adamax_custom", "nadam_custom", "lion_custom", "ftrl_full", "lamb_custom", "adamw_custom"]:
    for tag, (kw, scale) in EXTRAS.items():
        if base == "adamw_custom" and tag == "weight_decay":
            continue
        run_case(f"{base}_{tag}", BASES[base](**kw), grad_scale=scale, rtol=2e-5, atol=5e-6)
for name in ["nadam_default", "lamb_default", "adadelta_default", "ftrl_default"]:
    run_case(f"{name}_10_steps", BASES[name](), steps=10, rtol=2e-5, atol=5e-6)

# The common options, on every class.
ALL = ["sgd_momentum0.9", "adam_amsgrad", "adamw_custom", "rmsprop_centered_momentum", "adagrad_custom",
       "adadelta_custom", "adamax_custom", "nadam_custom", "lion_custom", "ftrl_full", "lamb_custom"]
for base in ALL:
    run_case(f"{base}_ema", BASES[base](use_ema=True), steps=5, rtol=2e-5, atol=5e-6)
    run_case(f"{base}_ema_overwrite2", BASES[base](use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=2),
             steps=5, rtol=2e-5, atol=5e-6)
    run_case(f"{base}_accumulate2", BASES[base](gradient_accumulation_steps=2), steps=6, rtol=2e-5, atol=5e-6)
    run_case(f"{base}_loss_scale", BASES[base](loss_scale_factor=4.0), rtol=2e-5, atol=5e-6)
run_case("adam_accumulate3_clipnorm_wd", BASES["adam_lr0.01"](gradient_accumulation_steps=3, clipnorm=1.0, weight_decay=0.05),
         steps=7, grad_scale=3.0)
run_case("nadam_accumulate3_ema_overwrite1", BASES["nadam_custom"](gradient_accumulation_steps=3, use_ema=True,
         ema_overwrite_frequency=1), steps=8, rtol=2e-5, atol=5e-6)
run_case("sgd_ema_accumulate2_overwrite2", BASES["sgd_momentum0.9"](gradient_accumulation_steps=2, use_ema=True,
         ema_momentum=0.5, ema_overwrite_frequency=2), steps=9)
run_case("lamb_global_clipnorm_loss_scale", BASES["lamb_custom"](global_clipnorm=1.0, loss_scale_factor=0.5), grad_scale=3.0)

# Learning-rate schedules as learning_rate (computed from the iteration count each step).
S = O.schedules
SCHED = {
    "exp": lambda: S.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5),
    "exp_stair": lambda: S.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
    "inv": lambda: S.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5),
    "inv_stair": lambda: S.InverseTimeDecay(0.1, decay_steps=3, decay_rate=2.0, staircase=True),
    "piecewise": lambda: S.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]),
    "poly": lambda: S.PolynomialDecay(0.1, decay_steps=4, end_learning_rate=0.01, power=2.0),
    "poly_cycle": lambda: S.PolynomialDecay(0.1, decay_steps=2, cycle=True),
    "cosine": lambda: S.CosineDecay(0.1, decay_steps=5, alpha=0.1),
    "cosine_warmup": lambda: S.CosineDecay(0.0, decay_steps=4, warmup_target=0.1, warmup_steps=2),
    "restarts": lambda: S.CosineDecayRestarts(0.1, first_decay_steps=2, t_mul=1.5, m_mul=0.8, alpha=0.05),
}
for tag, make in SCHED.items():
    run_case(f"sgd_momentum_schedule_{tag}", O.SGD(learning_rate=make(), momentum=0.5), steps=6)
# lr 0.1 with Adam: 1 - beta_2^t (beta_2 = 0.999) cancels ~3 digits of the device's pow, which
# lavapipe computes less exactly than XLA on the CPU; the step size carries that into the weights.
run_case("adam_schedule_exp", O.Adam(learning_rate=SCHED["exp"]()), steps=6, rtol=5e-5, atol=3e-5)
run_case("adamw_schedule_cosine", O.AdamW(learning_rate=SCHED["cosine"](), weight_decay=0.1), steps=6,
         rtol=5e-5, atol=3e-5)
run_case("rmsprop_schedule_piecewise_accumulate2", O.RMSprop(learning_rate=SCHED["piecewise"](),
         gradient_accumulation_steps=2), steps=8)
run_case("lion_schedule_restarts_ema", O.Lion(learning_rate=SCHED["restarts"](), use_ema=True, ema_overwrite_frequency=3),
         steps=7)

write("optimizers.json", cases)
