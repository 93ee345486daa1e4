"""The job in PyTorch on the CPU, eager: the loop PyTorch's tutorials teach.

Each step runs the model, ``cross_entropy`` on the logits (PyTorch's fused
log-softmax + negative log-likelihood), ``backward()`` and ``Adam.step()``. Like
Keras's fit, it keeps the epoch's loss and accuracy, as tensors summed step by step
(read once at the end, so no step waits on a ``.item()``). Adam's epsilon is set to
Keras's 1e-7 (PyTorch's default is 1e-8).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from benchmarks.jobs.clock import EpochClock
from benchmarks.jobs.data import Data


def version() -> str:
    return f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"


def limit_threads(threads: int) -> None:
    torch.set_num_threads(threads)


def train(data: Data, batch_size: int, hidden: int, epochs: int, warmup_steps: int):
    torch.manual_seed(0)
    kernel_1, bias_1, kernel_2, bias_2 = data.weights(hidden)
    model = torch.nn.Sequential(torch.nn.Linear(kernel_1.shape[0], hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, kernel_2.shape[1]))
    with torch.no_grad():  # PyTorch keeps a Linear's weight as (out, in): Keras's kernel transposed
        model[0].weight.copy_(torch.from_numpy(kernel_1.T.copy()))
        model[0].bias.copy_(torch.from_numpy(bias_1))
        model[2].weight.copy_(torch.from_numpy(kernel_2.T.copy()))
        model[2].bias.copy_(torch.from_numpy(bias_2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)
    x_all = torch.from_numpy(data.x)
    labels_all = torch.from_numpy(data.y.argmax(axis=1))

    def run_epoch(x, labels):
        total_loss = torch.zeros(())
        correct = torch.zeros((), dtype=torch.int64)
        for start in range(0, len(x), batch_size):
            x_batch, label_batch = x[start:start + batch_size], labels[start:start + batch_size]
            optimizer.zero_grad()
            logits = model(x_batch)
            loss = F.cross_entropy(logits, label_batch)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                total_loss += loss * len(x_batch)
                correct += (logits.argmax(dim=1) == label_batch).sum()
        return float(total_loss) / len(x), int(correct) / len(x)

    rows = data.warmup_rows(batch_size, warmup_steps)
    if rows:
        run_epoch(x_all[:rows], labels_all[:rows])
    clock = EpochClock()
    for _ in range(epochs):
        clock.start()
        order = torch.randperm(len(x_all))
        run_epoch(x_all[order], labels_all[order])
        clock.stop()
    weights = [model[0].weight.detach().numpy().T, model[0].bias.detach().numpy(),
               model[2].weight.detach().numpy().T, model[2].bias.detach().numpy()]
    return clock, [np.ascontiguousarray(w) for w in weights]
