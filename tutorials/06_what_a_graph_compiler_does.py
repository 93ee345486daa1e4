# %% [markdown]
# # 6 · What a graph compiler does
#
# **Mirrors:** one training step of the worksheet's network (60 → Dense(128) + relu → Dense(10) +
# softmax, categorical cross-entropy, Adam, batches of 32): what `fit` runs 1,875 times an epoch.
#
# **You will learn** why a static graph can run faster than the same arithmetic written by hand:
# it is known *before* its first step, so a compiler can read it as a whole and rewrite it. You
# will watch minigraph's compiler (`minigraph/passes`, named after TensorFlow's Grappler) merge a
# softmax computed twice, compute constants once, drop steps that do nothing, make broadcasts
# late, fuse each dense layer's MatMul, bias and relu into one kernel, the softmax and the loss
# into one kernel that gives both, the accuracy's argmaxes, compare, cast and sum into a count, and
# four Adam updates into one kernel; see the plan written out as a Python function and compiled;
# check that the rewritten step
# computes the same numbers, bit for bit; time it; and switch it off.
#
# (Runs in about a minute: the PCA of MNIST, and a few short timed runs.)

# %%
# %matplotlib inline
import os
import time

import numpy as np

import minigraph as mg
from minigraph.examples.worksheet import build_model, load_pca_mnist
from minigraph.keras import backend as K
from minigraph.keras.utils import set_random_seed

# %% [markdown]
# ## The worksheet's step, written out
#
# Keras builds this graph for `model.fit`; here it is written by hand, TF1-style, so that every
# node is in sight. The output is `softmax(logits)`; the loss is the *fused* softmax cross-entropy
# of the logits (as Keras's TensorFlow backend computes it); `correct` counts the right answers
# (the accuracy metric); the optimizer adds the gradients and one Adam update per variable.

# %%
def glorot(rng, fan_in, fan_out):
    limit = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def worksheet_step(config=None, seed=0):
    """The worksheet's training step in a new graph, and a session with its variables initialised:
    (session, x, labels, [train, loss, correct], weights). `config` chooses the session's passes."""
    rng = np.random.default_rng(seed)
    graph = mg.Graph()
    with graph.as_default():
        x = mg.placeholder(mg.float32, (None, 60), name="x")
        labels = mg.placeholder(mg.float32, (None, 10), name="labels")
        kernel = mg.Variable(glorot(rng, 60, 128), name="kernel")
        bias = mg.Variable(np.zeros(128, np.float32), name="bias")
        kernel_1 = mg.Variable(glorot(rng, 128, 10), name="kernel_1")
        bias_1 = mg.Variable(np.zeros(10, np.float32), name="bias_1")
        logits = mg.nn.relu(x @ kernel + bias) @ kernel_1 + bias_1
        output = mg.nn.softmax(logits, name="output")
        loss = mg.reduce_mean(mg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
        hits = mg.equal(mg.argmax(output, axis=1), mg.argmax(labels, axis=1))
        correct = mg.reduce_sum(mg.cast(hits, mg.float32), name="correct")
        train = mg.train.AdamOptimizer(0.001, epsilon=1e-7).minimize(loss)
        session = mg.Session(graph=graph, config=config)
        session.run(mg.global_variables_initializer())
    return session, x, labels, [train, loss, correct], [kernel, bias, kernel_1, bias_1]


session, x, labels, fetches, weights = worksheet_step()
print(len(session.graph.get_operations()), "nodes in the graph")

# %% [markdown]
# ## The plan, before and after each pass
#
# `sess.run(fetches, feed_dict)` never walks the graph while it computes. It first makes a
# **plan**: the nodes these fetches need, in an order that runs (a variable's initializer, for
# one, is not needed). The plan is a little program, one kernel call per step, and the compiler
# rewrites it. `mg.passes.explain` shows the plan before the passes, what each pass did, and the
# plan that runs.

# %%
explanation = mg.passes.explain(fetches, [x, labels])
print(explanation)

# %% [markdown]
# What happened, pass by pass:
#
# - **dependency_optimization** dropped the `NoOp` that `minimize` returns (it only says "run
#   the updates first", and in a plan every step already runs in order) and the `StopGradient` on
#   the labels (it tells `gradients()` where to stop; a run just passes the value on).
# - **constant_folding** computed, once and for all, what no run can change: the constants, and
#   `ones_like(loss)` (the seed of the backward pass: the loss is a scalar, so its shape `()` is
#   known, and so is the value 1). Before folding, the same pass drops any multiplication by
#   `ones_like(...)`, which changes no number (`multiply_by_one.py`); there is none here, but a
#   Keras `fit` without sample weights leaves its weights at their default of ones, and this is
#   what takes them out of the step.
# - **common_subgraph_elimination** found the softmax computed twice: once for the output, and
#   once inside the gradient of the fused cross-entropy, which is `softmax(logits) - labels`. Same
#   op, same input: one step now, read by both.
# - **arithmetic_optimization** made the broadcasts late. The gradient of the mean loss copied
#   the seed 1 to every row, then divided each copy by the batch size, then copied each row's
#   number across the 10 classes to multiply by `softmax - labels`: now it divides one number
#   once and multiplies `softmax - labels` by it, one step and one new array instead of three.
#   (It had no Transpose to fold: minigraph's MatMul gradient
#   already uses MatMul's `transpose_a`/`transpose_b` flags, as TensorFlow's does; see the last
#   section.)
# - **remapping** fused each dense layer into one `_FusedMatMul` step, as TensorFlow's remapper
#   does: `out = x @ kernel`, then `out += bias` and (for the hidden layer) `max(out, 0)`, both in
#   the product's own memory. The fused step takes the name of the layer's last op (`Relu`,
#   `add_1`), so what read it still finds it: `ReluGrad` reads Relu's output, which is the fused
#   step's. It turned `correct` (compare, cast the bools to 1.0s and 0.0s, sum them) into one
#   `np.count_nonzero`: a sum of ones is a count, exactly, below 2**24 of them; then it folded the
#   two `ArgMax` steps into that count, so the accuracy is one step. It ran the softmax and the
#   cross-entropy of the same logits as one `_FusedSoftmaxCrossEntropy` kernel: both start with
#   the row's max and `exp(logits - max)`, so it computes those once and finishes both. A step has
#   one value, so this one's is a pair, and two `itemgetter` steps take it apart, each named after
#   the op it stands for: the steps that read `output` or the loss, and your fetches, still find
#   them. Then it fused the four `ApplyAdam` updates into one `MultiTensorAdam` step. Each update
#   of a small variable (a bias of 10 numbers) is a dozen numpy calls, nearly all overhead; the
#   fused kernel puts all four variables side by side in one flat buffer and makes each call once.
#   Last, the four steps that compute the gradients write them straight into that buffer
#   (`out=` in numpy), so the fused update copies nothing in.
#
# The graph itself did not change: the passes rewrite the plan, so what you built is what
# `mg.viz.draw` shows. `mg.viz.draw_plan` draws what runs instead: numbered steps, the fused steps
# in orange, and the nodes the passes removed set apart.

# %%
print(len(explanation.before.nodes), "steps before the passes,", len(explanation.after.nodes), "after")
mg.viz.draw_plan(explanation, rankdir="LR")

# %% [markdown]
# ## The last step: the plan becomes a Python function
#
# The session then lays the plan out to run: every value gets a place, every step becomes "call
# this kernel on those values". The first time the plan runs, a loop reads it step by step. The
# second time, the session *compiles* it: it writes the Python function a person would write for
# this step, one line per step, and hands it to Python's own compiler (`minigraph/plan.py`). In
# that function the values are local variables, `del` drops each one after its last reader, and
# nothing is looked up while it runs. It is what JAX's `jit` and PyTorch's `torch.compile` do, in
# their smallest form: they too trace a program once and write it out for a compiler (XLA, C++).
# `sess.plan_source` prints it:

# %%
print(session.plan_source(fetches, [x, labels]))

# %% [markdown]
# Read it from the top: the variables' reads (each asks the variable's handle, written in line: a
# call of the read's kernel would cost more), the two fused dense layers, the softmax and its loss
# as one kernel and its two halves (`[0]` and `[1]` of its pair), the accuracy's count, the
# backward pass, the fused Adam, the step count. Compiling costs about 20 µs per line, once; a
# plan run only once (a long chain evaluated one time) is never compiled.
# `OptimizerOptions(global_jit_level=OptimizerOptions.OFF)` (TensorFlow's switch for its JIT
# compiler, XLA) keeps every plan read step by step.
#
# A training loop does not call `sess.run` but `sess.make_callable(fetches, feed_list)`, TF1's
# "a step resolved once", and that callable is written out as Python too
# (`minigraph/compiled_callable.py`): the checks of each fed array in line (its dtype, its rank,
# its known dimensions), the run as a transaction (a failed step changes no variable), the copies
# of what it hands back. Its `source` shows it:

# %%
print(session.make_callable(fetches, [x, labels]).source)

# %% [markdown]
# ## The same numbers, bit for bit
#
# A rewrite that changed a result would be a bug. Train the same step twice, from the same
# weights on the same batches, once with every pass and once with none
# (`disable_meta_optimizer`, TensorFlow's name for "no Grappler"), and compare the weights.
#
# Why bit for bit and not just "close": every pass keeps each number's arithmetic. Merging two
# softmaxes keeps one of two equal results; a folded constant is the kernel's own result; the
# fused Adam, the fused MatMul and the fused softmax do, for each number, the same float
# operations (`+ - * /`, `exp` and `sqrt`, each rounded exactly once) on the same operands, in the
# same order, and dividing before broadcasting divides the same two numbers: only where the numbers
# sit in memory, and how many times they are computed, changed.

# %%
(x_train, y_train), _ = load_pca_mnist()
batches = [(x_train[i:i + 32], y_train[i:i + 32]) for i in range(0, 32 * 200, 32)]

no_passes = mg.ConfigProto(graph_options=mg.GraphOptions(
    rewrite_options=mg.passes.RewriterConfig(disable_meta_optimizer=True)))


def trained_weights(config):
    session, x, labels, fetches, weights = worksheet_step(config)
    step = session.make_callable(fetches, [x, labels])
    for x_batch, y_batch in batches:
        step(x_batch, y_batch)
    return session.run(weights)


compiled, plain = trained_weights(None), trained_weights(no_passes)
print("identical:", all(np.array_equal(a, b) for a, b in zip(compiled, plain)))

# %% [markdown]
# ## How much time it saves
#
# Each timing is the fastest of several rounds (other programs on the machine only ever slow a
# round down). Your numbers will differ from the ones printed when this was written; the ratio is
# what to look at.

# %%
def fastest(function, rounds=7, calls=100):
    """The fastest time of one call, in microseconds, over `rounds` rounds of `calls` calls."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - started) / calls)
    return best * 1e6


def step_time(config):
    session, x, labels, fetches, weights = worksheet_step(config)
    step = session.make_callable(fetches, [x, labels])
    x_batch, y_batch = batches[0]
    return fastest(lambda: step(x_batch, y_batch))


read_step_by_step = mg.ConfigProto(graph_options=mg.GraphOptions(
    optimizer_options=mg.OptimizerOptions(global_jit_level=mg.OptimizerOptions.OFF)))
plain_us, interpreted_us, compiled_us = step_time(no_passes), step_time(read_step_by_step), step_time(None)
print(f"one training step, no passes:                 {plain_us:6.0f} µs")
print(f"one training step, passes, read step by step: {interpreted_us:6.0f} µs")
print(f"one training step, passes, compiled:          {compiled_us:6.0f} µs  ({plain_us / compiled_us:.2f}x as fast)")

# %% [markdown]
# What is left is mostly numpy's own work. The engine's share is small: here is a whole
# `sess.run` of `a + b` on two fed scalars, next to numpy adding the same two numbers.

# %%
tiny = mg.Graph()
with tiny.as_default():
    a, b = mg.placeholder(mg.float32, ()), mg.placeholder(mg.float32, ())
    total = a + b
session = mg.Session(graph=tiny)
add = session.make_callable(total, [a, b])
one, two = np.float32(1), np.float32(2)
print(f"numpy's add:                 {fastest(lambda: np.add(one, two), calls=2000):5.2f} µs")
print(f"sess.make_callable(a + b):   {fastest(lambda: add(one, two), calls=2000):5.2f} µs")
print(f"sess.run(a + b, feed_dict):  {fastest(lambda: session.run(total, {a: one, b: two}), calls=2000):5.2f} µs")

# %% [markdown]
# ## The worksheet's `fit`, both ways
#
# The Keras model of the worksheet runs its batches through `session.make_callable` too, so it
# is compiled the same way. Its session is the Keras backend's, made on first use; the
# environment variable `MINIGRAPH_GRAPH_PASSES=off` makes every new session plain (it is how the
# test suite runs its checks against Keras and TensorFlow both ways), and `K.clear_session()`
# starts a new one.

# %%
def fit_seconds(passes):
    os.environ["MINIGRAPH_GRAPH_PASSES"] = passes
    K.clear_session()
    set_random_seed(1)
    model = build_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    started = time.perf_counter()
    model.fit(x_train[:19200], y_train[:19200], batch_size=32, epochs=1, verbose=0)
    return time.perf_counter() - started, model.get_weights()


(plain_seconds, plain_weights), (compiled_seconds, compiled_weights) = fit_seconds("off"), fit_seconds("on")
os.environ.pop("MINIGRAPH_GRAPH_PASSES")
K.clear_session()
print(f"fit on 19,200 rows, no passes: {plain_seconds:.2f} s;  compiled: {compiled_seconds:.2f} s")
print("identical:", all(np.array_equal(a, b) for a, b in zip(plain_weights, compiled_weights)))

# %% [markdown]
# ## A transpose folded into MatMul
#
# One more pass, for a graph a student might write: `matmul(transpose(a), b)`. BLAS reads a
# matrix transposed as cheaply as it is, so MatMul has flags for it, and the compiler folds the
# `Transpose` step into the MatMul's `transpose_a`. (TensorFlow's own gradient of MatMul is
# written with those flags, and so is minigraph's: that is why the worksheet's step had none.)

# %%
with mg.Graph().as_default():
    features = mg.placeholder(mg.float32, (32, 60), name="features")
    gram = mg.matmul(mg.transpose(features), features, name="gram")
    print(mg.passes.explain(gram, [features]))

# %% [markdown]
# ## Exercises
#
# 1. Turn off one pass at a time (`RewriterConfig(remapping=False)`, `constant_folding=False`, ...)
#    and time the step again: which pass saves the most, and why that one?
# 2. Build `y = mg.exp(mg.constant(1.0)) * x` and explain its plan. How many steps run?
# 3. Explain the plan of the loss and the correct count without the training op
#    (`mg.passes.explain(fetches[1:], [x, labels])`), as `evaluate` runs it. Which passes still
#    find work?
# 4. Read `minigraph/train/fused.py`. When would the fused Adam have to gather its flat buffers
#    afresh instead of using last step's? Try it with `session.set_variable_value`.
# 5. Fetch the hidden layer's sum too: `hidden_sum = session.graph.get_operation_by_name("add").outputs[0]`,
#    then `mg.passes.explain(fetches + [hidden_sum], [x, labels])`. Why does the first `_FusedMatMul`
#    lose its Relu? (Read `minigraph/passes/fused_matmul.py`.)
# 6. Read the compiled step (`session.plan_source(fetches, [x, labels])`): which line frees the
#    hidden layer's output, and why there? Time `step_time` with `read_step_by_step` against the
#    default: what share of the step was the loop that reads the plan?
