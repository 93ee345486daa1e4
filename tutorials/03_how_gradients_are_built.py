# %% [markdown]
# # 3 · How gradients are built
#
# **Mirrors:** what happens inside the worksheet's `model.compile(optimizer='adam',
# loss='categorical_crossentropy')` and `model.fit(...)`: the optimizer asks for the gradient of
# the loss with respect to every weight, and TensorFlow 1 (and minigraph) answer by adding a
# *backward graph* to the forward one.
#
# **You will learn**
#
# - that `mg.gradients` returns ordinary graph nodes, and how to read the backward graph;
# - how to check a gradient with numbers alone (central differences in float64);
# - why the loss must be computed from the logits: on the worksheet's unscaled inputs, the
#   textbook formula gives `inf` and `NaN`, and the fused softmax cross-entropy does not;
# - that a gradient can be differentiated again: second derivatives and Hessian-vector products.
#
# (Runs in about 10 seconds, most of it the PCA of MNIST.)

# %%
import numpy as np

import minigraph as mg

np.set_printoptions(precision=4, suppress=True, linewidth=110)

# %% [markdown]
# ## A small forward graph
#
# One dense layer with relu, and a squared error against targets: a network of the worksheet's
# kind, in miniature. It uses float64 so the numeric checks below can be precise.

# %%
graph = mg.Graph()
with graph.as_default():
    x = mg.placeholder(mg.float64, shape=(None, 3), name="x")
    target = mg.placeholder(mg.float64, shape=(None, 2), name="target")
    W = mg.Variable(np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]]), name="W")
    b = mg.Variable(np.array([0.1, -0.2]), name="b")
    prediction = mg.nn.relu(x @ W + b)
    loss = mg.reduce_mean(mg.square(prediction - target))
mg.viz.draw(loss)

# %% [markdown]
# ## `mg.gradients` adds the backward graph
#
# `mg.gradients(loss, [W, b])` walks from `loss` back to `W` and `b`. At each op it applies that
# op's local derivative rule (the chain rule, one op at a time), and every rule is written with
# ordinary ops. What comes back is therefore not numbers but two new tensors in the same graph:

# %%
with graph.as_default():
    grad_W, grad_b = mg.gradients(loss, [W, b])
print(grad_W)
print(grad_b)

# %% [markdown]
# Draw the loss and its gradients together. The backward graph sits in the red box, next to the
# forward graph it was built from:
#
# - each forward op has a `<op>_grad` group that applies its rule: `Mean_grad` spreads the
#   incoming 1 evenly over the numbers it averaged, `Square_grad` multiplies by
#   2·(prediction − target), `Relu_grad` lets the gradient through only where the relu's
#   input was positive, `add_grad` sums over the batch for `b` (the bias was *broadcast* over
#   the rows, so its gradient is summed back), and `MatMul_grad` computes `xᵀ @ g` for `W`;
# - the grey edges are forward values the backward graph reads. That is why training keeps
#   every layer's activations in memory until the backward pass has used them.

# %%
mg.viz.draw([loss, grad_W, grad_b], show_gradients=True)

# %% [markdown]
# With `show_gradients=False` the drawing leaves out the nodes `gradients()` added, and the
# forward graph is back as it was:

# %%
mg.viz.draw([loss, grad_W, grad_b], show_gradients=False)

# %% [markdown]
# The gradients are fetched like any tensor. Given a session and a feed, `draw` writes every value
# on its node, so you can follow the numbers back from the loss to `W`:

# %%
with graph.as_default():
    init = mg.global_variables_initializer()
session = mg.Session(graph)
session.run(init)
feed = {
    x: np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [-0.5, 0.7, 0.1], [2.0, 0.4, -1.0]]),
    target: np.array([[0.5, 1.0], [0.0, 0.2], [1.0, 0.0], [0.3, 0.3]]),
}
loss_value, grad_W_value, grad_b_value = session.run([loss, grad_W, grad_b], feed)
print("loss  ", loss_value)
print("dL/dW\n", grad_W_value)
print("dL/db ", grad_b_value)

# %%
mg.viz.draw([grad_W, grad_b], session=session, feed_dict=feed)


# %% [markdown]
# ## A numeric gradient check
#
# A derivative can be checked with nothing but the forward graph. Nudge one weight up by a
# small ε and down by ε, and compare the loss:
#
# $$\frac{\partial L}{\partial w_i} \approx \frac{L(w + \varepsilon e_i) - L(w - \varepsilon e_i)}{2\varepsilon}$$
#
# The error of this *central* difference shrinks like ε², and rounding adds about
# (machine precision)/ε. In float64 (precision about 1e-16), ε = 1e-6 leaves an error near 1e-10.
# In float32 (about 1e-7) even the best ε leaves errors near 1e-5 to 1e-4, too coarse to tell a
# small bug from rounding. So checks are done in float64.
#
# minigraph ships these central differences as `minigraph.testing.numeric_gradient(f, x, eps=1e-6)`:
# any function `f` of a numpy array, nudged one element at a time. Here `f` writes the weights
# into the session with `W.load(value, session)` (which adds no node) and runs the loss.

# %%
from minigraph.testing import check_gradients, numeric_gradient


def check_gradient(variable: mg.Variable, gradient: mg.Tensor) -> None:
    """Compares mg.gradients' value with central differences of the loss."""
    original = session.run(variable)

    def loss_at(value):
        variable.load(value, session)
        return session.run(loss, feed)

    numeric = numeric_gradient(loss_at, original)
    variable.load(original, session)  # put the weights back
    symbolic = session.run(gradient, feed)
    print(f"{variable.op.name}: max |numeric - symbolic| = {np.abs(numeric - symbolic).max():.1e}")


check_gradient(W, grad_W)
check_gradient(b, grad_b)

# %% [markdown]
# The two agree to about 10 digits. (A relu has a kink at 0, where the derivative jumps. A check
# near a kink can fail even when the code is right, so pick points away from it, as here.)
#
# For an input that is fed rather than stored, `check_gradients(ys, xs, feed_dict)` does the
# whole check in one call: it builds `mg.gradients`, runs it, compares it with central
# differences, and raises an `AssertionError` naming the worst input and element when they
# disagree. minigraph's own tests check every op this way.

# %%
check_gradients(loss, [x, target], feed, session=session)
print("the gradients with respect to x and target agree with central differences")
#
# ## Why the loss is computed from logits
#
# The worksheet's network ends in `Activation('softmax')` and is trained on categorical
# cross-entropy. The textbook formula is
#
# $$L = -\sum_i y_i \log \operatorname{softmax}(z)_i, \qquad
#   \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}$$
#
# where $z$ are the *logits*, the scores the last `Dense` produces. Here is the worksheet's
# network, on real MNIST rows reduced to 60 PCA features (not scaled, as in the worksheet),
# with its initial weights:

# %%
from minigraph.examples.worksheet import build_model, load_pca_mnist
from minigraph.keras.utils import set_random_seed

set_random_seed(0)
(x_train, y_train), _ = load_pca_mnist()  # MNIST, flattened, PCA to 60 numbers, one-hot labels
# the worksheet's network, untrained: its initial weights
kernel_1, bias_1, kernel_2, bias_2 = build_model().get_weights()
print(f"PCA features range from {x_train.min():.0f} to {x_train.max():.0f}")

# %% [markdown]
# The same network written out in minigraph's core ops (what `Dense` and `Activation` build),
# with both ways of computing the loss, and the gradient of each with respect to the last
# kernel. Everything is float32, as in training.

# %%
network = mg.Graph()
with network.as_default():
    images = mg.placeholder(mg.float32, shape=(None, 60), name="images")
    labels = mg.placeholder(mg.float32, shape=(None, 10), name="labels")
    W1, b1 = mg.Variable(kernel_1, name="W1"), mg.Variable(bias_1, name="b1")
    W2, b2 = mg.Variable(kernel_2, name="W2"), mg.Variable(bias_2, name="b2")
    hidden = mg.nn.relu(images @ W1 + b1)
    logits = hidden @ W2 + b2
    probabilities = mg.nn.softmax(logits)

    naive_loss = -mg.reduce_sum(labels * mg.log(probabilities), axis=-1)
    fused_loss = mg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    (naive_grad,) = mg.gradients(mg.reduce_mean(naive_loss), [W2])
    (fused_grad,) = mg.gradients(mg.reduce_mean(fused_loss), [W2])
    network_init = mg.global_variables_initializer()

net_session = mg.Session(network)
net_session.run(network_init)
batch = {images: x_train[:32], labels: y_train[:32]}  # the first batch of the first epoch
print("logits of the first 4 images:")
print(net_session.run(logits, batch)[:4].round(1))

# %% [markdown]
# The logits are in the hundreds. Now both losses on this batch of 32, and their gradients.
# Numpy warns about the log of zero as the naive loss is computed:

# %%
naive, fused, naive_g, fused_g = net_session.run(
    [naive_loss, fused_loss, naive_grad, fused_grad], batch)
print("naive loss, first 8 rows:", naive[:8])
print("fused loss, first 8 rows:", fused[:8].round(1))
print(f"naive loss: {np.isfinite(naive).sum()} of {len(naive)} rows finite; "
      f"fused loss: {np.isfinite(fused).sum()} of {len(fused)} rows finite")
print(f"naive gradient: {np.isnan(naive_g).sum()} of {naive_g.size} entries NaN; "
      f"fused gradient: {np.isfinite(fused_g).sum()} of {fused_g.size} entries finite")

# %% [markdown]
# Follow one image through the naive formula to see where it breaks:

# %%
with network.as_default():
    log_probabilities = mg.log(probabilities)
p, log_p = net_session.run([probabilities, log_probabilities], batch)
label = int(y_train[0].argmax())
print("label:", label)
print("softmax(z):     ", p[0])
print("log softmax(z): ", log_p[0])
print("y * log softmax:", y_train[0] * log_p[0])

label_probability = p[np.arange(32), y_train[:32].argmax(axis=1)]
print("images in the batch whose label has probability exactly 0:",
      np.flatnonzero(label_probability == 0))

# %% [markdown]
# - With logits hundreds apart, $e^{z_j - z_{\max}}$ is below float32's smallest positive number
#   (about $e^{-103}$) for most classes, so those probabilities round to exactly **0**.
# - `log(0)` is `-inf`, and `y · log p` for a class that is *not* the label is `0 · (−inf)` =
#   **NaN**. One NaN makes the whole sum NaN, and then the mean over the batch, and every
#   gradient computed from it: one such step would turn all the weights to NaN.
# - When the label's own probability rounds to 0 (for most images of this batch), its term alone
#   is `−log 0 = +inf`: the loss would be infinite even without the NaNs.
#
# The fused op never forms the probability. It uses the identity
#
# $$-\log \operatorname{softmax}(z)_i = \log \sum_j e^{z_j} - z_i = z_{\max} + \log \sum_j e^{z_j - z_{\max}} - z_i$$
#
# in which every exponent is ≤ 0 and the sum is ≥ 1, so nothing overflows and no log of 0 is ever
# taken. A confident wrong answer then costs roughly $z_{\max} - z_{label}$: large (hundreds),
# but finite. Its gradient with respect to the logits, $\operatorname{softmax}(z) - y$, stays
# between −1 and 1.
#
# This is why Keras, on the TensorFlow backend, computes `categorical_crossentropy` from the
# logits when the model ends in a softmax, and minigraph does the same. The worksheet's model
# gets the fused op:

# %%
model = build_model()
model.compile(optimizer="adam", loss="categorical_crossentropy")
print([op.name for op in model.graph.operations
       if op.type_name == "SoftmaxCrossEntropyWithLogits"])

# %% [markdown]
# Scaled inputs give small logits, and then the two formulas agree. The trouble is the textbook
# formula in float32 with large logits, not the formula itself:

# %%
small_batch = {images: x_train[:32] / 1000, labels: y_train[:32]}
naive_small, fused_small = net_session.run([naive_loss, fused_loss], small_batch)
print("largest |logit|:", np.abs(net_session.run(logits, small_batch)).max().round(2))
print("max |naive - fused|:", np.abs(naive_small - fused_small).max())

# %% [markdown]
# ## Second derivatives
#
# A gradient is made of ordinary ops, so `mg.gradients` can differentiate it again, as in
# TensorFlow 1. Start with $f(u) = u^3$: $f'(u) = 3u^2$ and $f''(u) = 6u$. (Summing first makes
# the gradient of a sum of independent terms, which is the elementwise derivative.)

# %%
cubic = mg.Graph()
with cubic.as_default():
    u = mg.placeholder(mg.float64, shape=(5,), name="u")
    f = u * u * u
    (df,) = mg.gradients(mg.reduce_sum(f), [u])     # 3u²
    (d2f,) = mg.gradients(mg.reduce_sum(df), [u])   # 6u

u_value = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
cubic_session = mg.Session(cubic)
first, second = cubic_session.run([df, d2f], {u: u_value})
print("f'  =", first, "  3u² =", 3 * u_value**2)
print("f'' =", second, "  6u  =", 6 * u_value)

# f'' checked numerically: central differences of the first derivative
epsilon = 1e-5
numeric_second = (cubic_session.run(df, {u: u_value + epsilon})
                  - cubic_session.run(df, {u: u_value - epsilon})) / (2 * epsilon)
print(f"f'': max |numeric - symbolic| = {np.abs(numeric_second - second).max():.1e}")

# %% [markdown]
# Nothing simplifies the graph: the product rule is applied mechanically, twice, and `6u` takes
# a couple of dozen nodes. The second pass is built on top of the first, in its own `gradients_1`
# scope:

# %%
mg.viz.draw(d2f, show_shapes=False)

# %% [markdown]
# ### A Hessian-vector product
#
# For a loss $L(w)$ with many weights, the Hessian (the matrix of second derivatives) is too
# big to form, but its product with a vector $v$ is cheap. It is the gradient of
# $\nabla L \cdot v$:
#
# $$H v = \nabla_w \left( \nabla_w L \cdot v \right)$$
#
# Back to the small network from the start: one more `gradients` call gives $Hv$ for `W`, and
# central differences of the gradient along $v$ check it:
# $Hv \approx (\nabla L(w + \varepsilon v) - \nabla L(w - \varepsilon v)) / 2\varepsilon$.

# %%
with graph.as_default():
    v = mg.placeholder(mg.float64, shape=(3, 2), name="v")
    (hessian_v,) = mg.gradients(mg.reduce_sum(grad_W * v), [W])

v_value = np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])
symbolic_hv = session.run(hessian_v, {**feed, v: v_value})

W_value = session.run(W)
epsilon = 1e-5
W.load(W_value + epsilon * v_value, session)
grad_up = session.run(grad_W, feed)
W.load(W_value - epsilon * v_value, session)
grad_down = session.run(grad_W, feed)
W.load(W_value, session)  # put the weights back
numeric_hv = (grad_up - grad_down) / (2 * epsilon)

print("Hv (symbolic)\n", symbolic_hv)
print(f"Hv: max |numeric - symbolic| = {np.abs(numeric_hv - symbolic_hv).max():.1e}")

# %% [markdown]
# **Try it:** check a Hessian-vector product for `b` the same way; or give the small network a
# softmax cross-entropy loss and check its gradients.
#
# **Next:** notebook 4 trains the worksheet's network in minigraph and in Keras from the same
# starting point, and compares the numbers.
