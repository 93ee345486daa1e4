"""The worksheet's training job, written once per framework.

Every module here trains the same network on the same arrays: inputs (N, 60),
Dense(hidden) + relu, Dense(10) + softmax, categorical cross-entropy (the fused
softmax-cross-entropy on logits, as Keras's TensorFlow backend and PyTorch use),
Adam with Keras 3's defaults (lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7), one
shuffle of the rows per epoch. Each starts from the initial weights in the data file
(Keras's layout: kernel (in, out), then bias), so their final losses can be compared.

Each module has ``version()`` and ``train(data, batch_size, hidden, epochs,
warmup_steps)``, which first runs `warmup_steps` steps untimed (Keras and JAX trace
and compile their step then; minigraph plans its run) and then returns the seconds of
each of `epochs` timed epochs (an ``EpochClock``: wall clock and CPU time) and the
final weights, in Keras's layout.

``minigraph-plain`` is minigraph's job with the graph compiler switched off.

``python -m benchmarks.jobs FRAMEWORK ...`` (``__main__.py``) runs one of them in its
own process and prints its result as one line of JSON; ``benchmarks/harness.py``
starts those processes in turn.
"""

FRAMEWORKS = ("minigraph", "keras", "torch", "jax", "numpy")
# minigraph's fit with the graph compiler's passes off (MINIGRAPH_GRAPH_PASSES=off):
# the plain plan, op by op, to show what the passes buy
PLAIN = "minigraph-plain"
CHOICES = FRAMEWORKS + (PLAIN,)
