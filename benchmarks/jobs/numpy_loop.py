"""The job written by hand in numpy: the loop minigraph has to beat.

This is what a careful student writes without a framework: the forward pass, the
backward pass worked out on paper, and Adam updating each array in place. It
computes no metrics (no loss, no accuracy): only what training needs. For softmax
followed by cross-entropy, averaged over a batch of n rows, the gradient at the
logits is (softmax(logits) - y) / n, which is why the loop never computes a log.
"""

from __future__ import annotations

import numpy as np

from benchmarks.jobs.clock import EpochClock
from benchmarks.jobs.data import Data


def version() -> str:
    return f"numpy {np.__version__}"


class Adam:
    """Keras 3's Adam, in place: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
    w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)."""

    def __init__(self, weights, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.weights = weights
        self.m = [np.zeros_like(w) for w in weights]
        self.v = [np.zeros_like(w) for w in weights]
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon
        self.step = 0

    def update(self, gradients) -> None:
        self.step += 1
        alpha = self.learning_rate * np.sqrt(1 - self.beta_2 ** self.step) / (1 - self.beta_1 ** self.step)
        for w, g, m, v in zip(self.weights, gradients, self.m, self.v):
            m += (g - m) * (1 - self.beta_1)
            v += (g * g - v) * (1 - self.beta_2)
            w -= alpha * m / (np.sqrt(v) + self.epsilon)


def train_step(weights, adam: Adam, x: np.ndarray, y: np.ndarray) -> None:
    kernel_1, bias_1, kernel_2, bias_2 = weights
    hidden = x @ kernel_1
    hidden += bias_1
    np.maximum(hidden, 0, out=hidden)
    logits = hidden @ kernel_2
    logits += bias_2
    # softmax, shifted by the row's max so exp cannot overflow
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)

    grad_logits = (probabilities - y) / len(x)
    grad_kernel_2 = hidden.T @ grad_logits
    grad_bias_2 = grad_logits.sum(axis=0)
    grad_hidden = grad_logits @ kernel_2.T
    grad_hidden *= hidden > 0  # relu's gradient: 1 where it let the value through
    grad_kernel_1 = x.T @ grad_hidden
    grad_bias_1 = grad_hidden.sum(axis=0)
    adam.update([grad_kernel_1, grad_bias_1, grad_kernel_2, grad_bias_2])


def train(data: Data, batch_size: int, hidden: int, epochs: int, warmup_steps: int):
    weights = data.weights(hidden)
    adam = Adam(weights)
    generator = np.random.default_rng(0)
    for start in range(0, data.warmup_rows(batch_size, warmup_steps), batch_size):
        train_step(weights, adam, data.x[start:start + batch_size], data.y[start:start + batch_size])
    clock = EpochClock()
    for _ in range(epochs):
        clock.start()
        order = generator.permutation(len(data.x))
        x, y = data.x[order], data.y[order]
        for start in range(0, len(x), batch_size):
            train_step(weights, adam, x[start:start + batch_size], y[start:start + batch_size])
        clock.stop()
    return clock, weights
