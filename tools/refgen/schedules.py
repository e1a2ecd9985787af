"""Reference cases for keras.optimizers.schedules, as `op` cases named
"optimizers.schedules.<Class>": kwargs = the schedule's full `get_config()`, args = [step] (an
int32 step, as an optimizer's iteration count), expected = `schedule(step)` (float32).
Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/schedules.py
Writes tests/conformance/schedules.json.

Keras facts (keras/src/optimizers/schedules/learning_rate_schedule.py): every rate is computed in
float32 from the step cast to float32; staircase floors step / decay_steps; PolynomialDecay with
cycle multiplies decay_steps by ceil(step / decay_steps) (1 at step 0), without it clamps the step
to decay_steps; CosineDecay clamps the step to decay_steps (+ warmup_steps) and warms up linearly
from initial_learning_rate to warmup_target; CosineDecayRestarts finds the restart index with
floor(log(1 - f (1 - t_mul)) / log(t_mul)) (floor(f) when t_mul == 1); PiecewiseConstantDecay's
boundaries are cast to the step's dtype and the intervals are (b_i, b_{i+1}].
"""
import numpy as np
import keras

from common import op_case, write

S = keras.optimizers.schedules
cases = []


def add(cid, schedule, steps, rtol=2e-6, atol=1e-7):
    cls = type(schedule)
    config = schedule.get_config()
    for step in steps:
        fn = lambda step, **cfg: cls(**cfg)(np.int32(step))
        c = op_case(f"{cid}_step{step}", f"optimizers.schedules.{cls.__name__}", fn, [np.int32(step)], config,
                    rtol=rtol, atol=atol)
        cases.append(c)


STEPS = [0, 1, 2, 3, 5, 7, 10, 17, 100]
add("exponential", S.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5), STEPS)
add("exponential_staircase", S.ExponentialDecay(0.5, decay_steps=5, decay_rate=0.9, staircase=True), STEPS)
add("exponential_named", S.ExponentialDecay(1.0, decay_steps=3, decay_rate=0.25, name="my_decay"), [0, 3, 4, 9])
add("inverse_time", S.InverseTimeDecay(0.1, decay_steps=5, decay_rate=0.5), STEPS)
add("inverse_time_staircase", S.InverseTimeDecay(0.2, decay_steps=3, decay_rate=2.0, staircase=True), STEPS)
add("piecewise", S.PiecewiseConstantDecay([3, 10], [0.1, 0.05, 0.01]), STEPS)
add("piecewise_one", S.PiecewiseConstantDecay([5], [1.0, 0.5]), [0, 4, 5, 6, 100])
add("piecewise_many", S.PiecewiseConstantDecay([1, 2, 5, 9], [0.5, 0.4, 0.3, 0.2, 0.1]), STEPS)
add("polynomial", S.PolynomialDecay(0.1, decay_steps=10), STEPS)
add("polynomial_power", S.PolynomialDecay(0.1, decay_steps=8, end_learning_rate=0.01, power=0.5), STEPS)
add("polynomial_cycle", S.PolynomialDecay(0.1, decay_steps=4, end_learning_rate=0.001, power=2.0, cycle=True), STEPS)
add("cosine", S.CosineDecay(0.1, decay_steps=10), STEPS)
add("cosine_alpha", S.CosineDecay(0.2, decay_steps=7, alpha=0.1), STEPS)
add("cosine_warmup", S.CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=4), STEPS)
add("cosine_warmup_alpha", S.CosineDecay(0.01, decay_steps=6, alpha=0.2, warmup_target=0.05, warmup_steps=3), STEPS)
add("restarts", S.CosineDecayRestarts(0.1, first_decay_steps=4), [0, 1, 2, 3, 5, 7, 9, 13, 30, 100], atol=2e-7)
add("restarts_t1", S.CosineDecayRestarts(0.1, first_decay_steps=3, t_mul=1.0, m_mul=0.5, alpha=0.1), STEPS)
add("restarts_custom", S.CosineDecayRestarts(0.2, first_decay_steps=5, t_mul=1.5, m_mul=0.9, alpha=0.05),
    [0, 1, 2, 3, 6, 8, 11, 14, 40], atol=2e-7)

write("schedules.json", cases)
