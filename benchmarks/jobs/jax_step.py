"""The job in JAX: the whole training step (forward, gradient, Adam, metrics) under ``jax.jit``.

XLA compiles the step once, at its first call (the warm-up), into one program that
fuses the elementwise work (relu, softmax, every Adam update) into a few loops and
keeps no Python between the ops. Python still runs the loop over batches: each step
is one call of the compiled program, fed a numpy slice. The parameters and Adam's
moments are donated, so XLA may update them in place. This is the bar for what a
graph known before its first step can do.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.jobs.clock import EpochClock
from benchmarks.jobs.data import Data


def version() -> str:
    return f"JAX {jax.__version__} ({jax.default_backend()})"


def loss_and_logits(params, x, y):
    kernel_1, bias_1, kernel_2, bias_2 = params
    logits = jax.nn.relu(x @ kernel_1 + bias_1) @ kernel_2 + bias_2
    loss = -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=1))
    return loss, logits


def adam_step(params, m, v, step, totals, x, y, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One step: gradient, Keras 3's Adam on every parameter, and the epoch's running
    (loss sum, correct count) carried in `totals`, as Keras keeps its metrics in variables."""
    (loss, logits), grads = jax.value_and_grad(loss_and_logits, has_aux=True)(params, x, y)
    step = step + 1
    alpha = learning_rate * jnp.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
    m = [mi + (g - mi) * (1 - beta_1) for mi, g in zip(m, grads)]
    v = [vi + (g * g - vi) * (1 - beta_2) for vi, g in zip(v, grads)]
    params = [p - alpha * mi / (jnp.sqrt(vi) + epsilon) for p, mi, vi in zip(params, m, v)]
    correct = jnp.sum(jnp.argmax(logits, axis=1) == jnp.argmax(y, axis=1))
    totals = totals + jnp.stack([loss * x.shape[0], correct.astype(loss.dtype)])
    return params, m, v, step, totals


compiled_step = jax.jit(adam_step, donate_argnums=(0, 1, 2, 4))


def train(data: Data, batch_size: int, hidden: int, epochs: int, warmup_steps: int):
    params = [jnp.asarray(w) for w in data.weights(hidden)]
    m = [jnp.zeros_like(p) for p in params]
    v = [jnp.zeros_like(p) for p in params]
    step = jnp.zeros((), jnp.float32)

    def run_epoch(x, y):
        nonlocal params, m, v, step
        totals = jnp.zeros(2, jnp.float32)
        for start in range(0, len(x), batch_size):
            params, m, v, step, totals = compiled_step(params, m, v, step, totals, x[start:start + batch_size],
                                                       y[start:start + batch_size])
        # reading the totals waits for the last step: the epoch's time includes all its work
        loss_sum, correct = np.asarray(totals)
        return loss_sum / len(x), correct / len(x)

    rows = data.warmup_rows(batch_size, warmup_steps)
    if rows:
        run_epoch(data.x[:rows], data.y[:rows])
    generator = np.random.default_rng(0)
    clock = EpochClock()
    for _ in range(epochs):
        clock.start()
        order = generator.permutation(len(data.x))
        run_epoch(data.x[order], data.y[order])
        clock.stop()
    return clock, [np.asarray(p) for p in params]
