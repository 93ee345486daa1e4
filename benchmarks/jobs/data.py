"""The arrays a job trains on, read from the .npz the harness wrote (see harness.write_data)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PARTS = ("kernel_1", "bias_1", "kernel_2", "bias_2")  # the weights in Keras's order


@dataclass
class Data:
    x: np.ndarray  # (N, 60) float32: MNIST projected on its first 60 principal axes
    y: np.ndarray  # (N, 10) float32: one-hot labels
    initial: dict  # hidden width -> [kernel_1, bias_1, kernel_2, bias_2]

    @classmethod
    def load(cls, path: str, rows: int | None = None) -> "Data":
        with np.load(path) as arrays:
            x, y = arrays["x"][:rows], arrays["y"][:rows]
            initial: dict[int, list] = {}
            for name in arrays.files:
                if name.startswith("kernel_1_"):
                    hidden = int(name.rsplit("_", 1)[1])
                    initial[hidden] = [arrays[f"{part}_{hidden}"] for part in PARTS]
        return cls(x, y, initial)

    def weights(self, hidden: int) -> list[np.ndarray]:
        """Fresh copies of the initial weights for a hidden layer of `hidden` units."""
        if hidden not in self.initial:
            raise KeyError(f"the data file has initial weights for hidden widths {sorted(self.initial)}, not {hidden}")
        return [w.copy() for w in self.initial[hidden]]

    def warmup_rows(self, batch_size: int, steps: int) -> int:
        """Rows for `steps` untimed steps, plus the epoch's last partial batch, so that a framework
        that compiles one program per batch shape (XLA, tf.function) has compiled both before timing."""
        if steps == 0:
            return 0
        return min(len(self.x), steps * batch_size + len(self.x) % batch_size)

    def evaluate(self, weights: list[np.ndarray]) -> tuple[float, float]:
        """Mean cross-entropy and accuracy of the network with `weights` on all rows (numpy, float64)."""
        kernel_1, bias_1, kernel_2, bias_2 = (np.asarray(w, np.float64) for w in weights)
        hidden = np.maximum(self.x @ kernel_1 + bias_1, 0.0)
        logits = hidden @ kernel_2 + bias_2
        logits -= logits.max(axis=1, keepdims=True)
        log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        loss = float(-(self.y * log_probabilities).sum(axis=1).mean())
        accuracy = float((logits.argmax(axis=1) == self.y.argmax(axis=1)).mean())
        return loss, accuracy
