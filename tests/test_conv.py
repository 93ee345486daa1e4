"""minigraph/ops/conv.py: conv2d, max_pool, avg_pool and bias_add against TensorFlow.

One table of cases (strides 1 and 2, SAME and VALID, odd and even sizes, kernels
larger and smaller than the stride, batch and channels above 1) drives:

- central differences (float64) of the first and second derivatives, through the
  op table's `gradient_check` (tests/support/derivatives.py);
- values, gradients and Hessian-vector products against tf.compat.v1 graph mode, in
  float64 (relative 1e-12) and float32 (1e-5), with known shapes and with
  placeholders of unknown rank (the gradients then read shapes at run time).

Then: the static shapes of mnist_deep's network with a None batch next to TF's, the
GraphDef attributes next to TF's, the backprop builders, max_pool's ties, a few SGD
steps of a small convolutional network next to TF's, and the error messages.
"""

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

import minigraph as mg
from minigraph.errors import InvalidArgumentError
from minigraph.ops import conv
from support.derivatives import gradient_check
from support.inputs import away_from, normal
from support.op_cases import Case, case_arrays
from support.parity import relative_error
from support.tensorflow import assert_matches_tensorflow, in_each_setting

tf1 = tf.compat.v1
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def nn(lib):
    """lib.nn for minigraph; for TensorFlow, TF1's tf.compat.v1.nn (TF2's max_pool refuses
    an input of unknown rank, which the "unknown shapes" runs feed)."""
    return lib.nn if lib is mg else tf1.nn


def conv_case(x_shape, w_shape, strides, padding):
    return Case(
        f"conv2d x{x_shape} w{w_shape} strides {strides} {padding}",
        lambda lib, x, w: nn(lib).conv2d(x, w, [1, *strides, 1], padding),
        (normal(*x_shape), normal(*w_shape)),
    )


def pool_case(pool, x_shape, ksize, strides, padding):
    # distinct values far apart, so no window has a near-tie that differences would cross
    def distinct(rng):
        return rng.permutation(np.prod(x_shape)).reshape(x_shape) * 0.1 + rng.uniform(0, 0.01, x_shape)

    return Case(
        f"{pool} x{x_shape} ksize {ksize} strides {strides} {padding}",
        lambda lib, x: getattr(nn(lib), pool)(x, [1, *ksize, 1], [1, *strides, 1], padding),
        (distinct,),
    )


CONV_CASES = [
    conv_case((2, 5, 5, 3), (3, 3, 3, 4), (1, 1), "SAME"),
    conv_case((2, 6, 6, 2), (3, 3, 2, 3), (2, 2), "SAME"),  # even size, stride 2
    conv_case((2, 5, 4, 3), (2, 2, 3, 2), (1, 2), "SAME"),  # even kernel: padding after > before
    conv_case((1, 7, 6, 2), (4, 3, 2, 2), (2, 1), "VALID"),  # kernel larger than stride
    conv_case((3, 8, 7, 1), (5, 5, 1, 2), (2, 2), "VALID"),  # rows left over at the end
    conv_case((2, 4, 5, 2), (1, 1, 2, 3), (2, 2), "VALID"),  # kernel smaller than stride
    conv_case((2, 3, 3, 2), (5, 5, 2, 2), (1, 1), "SAME"),  # kernel larger than the image
]

POOL_CASES = [
    pool_case(pool, x_shape, ksize, strides, padding)
    for pool in ("max_pool", "avg_pool")
    for x_shape, ksize, strides, padding in [
        ((2, 4, 4, 3), (2, 2), (2, 2), "SAME"),  # mnist_deep's pooling
        ((2, 7, 6, 2), (2, 2), (2, 2), "SAME"),  # odd size: a padded row
        ((1, 7, 7, 2), (3, 3), (2, 2), "VALID"),  # overlapping windows
        ((2, 5, 6, 1), (3, 2), (1, 1), "SAME"),  # padding on every side
        ((1, 6, 5, 2), (2, 3), (2, 1), "VALID"),
    ]
]

OTHER_CASES = [
    Case("bias_add (2,3,4,5) + (5,)", lambda lib, x, b: nn(lib).bias_add(x, b), (normal(2, 3, 4, 5), normal(5))),
    Case("bias_add (4,3) + (3,)", lambda lib, x, b: nn(lib).bias_add(x, b), (normal(4, 3), normal(3))),
    Case(
        "conv, bias, relu, max_pool, conv",
        lambda lib, x, w, b, v: nn(lib).conv2d(
            nn(lib).max_pool(nn(lib).relu(nn(lib).bias_add(nn(lib).conv2d(x, w, [1, 1, 1, 1], "SAME"), b)),
                             [1, 2, 2, 1], [1, 2, 2, 1], "SAME"),
            v, [1, 1, 1, 1], "SAME",
        ),  # fmt: skip
        (normal(2, 5, 5, 2), normal(3, 3, 2, 3), away_from([0.0], 3), normal(2, 2, 3, 2)),
    ),
]

CASES = CONV_CASES + POOL_CASES + OTHER_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gradients_match_central_differences(case):
    gradient_check(case)


@in_each_setting
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_tensorflow(case, dtype, known_shapes, parity_errors):
    """Values, gradients and Hessian-vector products, as test_ops does for the core ops."""
    assert_matches_tensorflow(case, dtype, known_shapes, TOLERANCE[dtype], parity_errors)


@pytest.mark.parametrize("case", CONV_CASES[:4], ids=[c.id for c in CONV_CASES[:4]])
def test_im2col_in_batches_of_one_image_matches_tensorflow(case, monkeypatch, parity_errors):
    """Conv2D and Conv2DBackpropFilter make im2col's rows a few images at a time (sized to
    the CPU cache); the table's batches are small enough for one group, so force one each."""
    monkeypatch.setattr(conv, "CACHE_ELEMENTS", 1)
    assert len(conv.Windows((3, 3), (1, 1), "SAME").batches(np.zeros((3, 5, 5, 2)))) == 3
    assert_matches_tensorflow(case, "float64", True, TOLERANCE["float64"], parity_errors)


def test_table_covers_every_op():
    """Forward, backward and second-order ops all appear in the graphs the table builds."""
    seen = set()
    for case in CASES:
        xs, weights, directions = case_arrays(case)
        with mg.Graph().as_default() as graph:
            inputs = [mg.placeholder(x.dtype, x.shape) for x in xs]
            grads = mg.gradients(mg.reduce_sum(case.build(mg, *inputs) * weights), inputs)
            mg.gradients(mg.add_n([mg.reduce_sum(g * g) for g in grads]), inputs)
        seen |= {op.type for op in graph.get_operations()}
    wanted = {
        "Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MaxPool", "MaxPoolGrad",
        "MaxPoolGradGrad", "AvgPool", "AvgPoolGrad", "BiasAdd", "BiasAddGrad",
    }  # fmt: skip
    assert wanted <= seen, f"not covered: {sorted(wanted - seen)}"


# --- mnist_deep's network: static shapes with a None batch ---------------------------


def mnist_deep_shapes(lib, placeholder, gradients):
    """The tutorial network's layers (without dropout); returns every static shape."""
    x = placeholder("float32", (None, 28, 28, 1))
    w1, w2 = placeholder("float32", (5, 5, 1, 32)), placeholder("float32", (5, 5, 32, 64))
    b1, b2 = placeholder("float32", (32,)), placeholder("float32", (64,))
    h1 = lib.nn.relu(lib.nn.bias_add(lib.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"), b1))
    p1 = lib.nn.max_pool(h1, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    h2 = lib.nn.relu(lib.nn.conv2d(p1, w2, [1, 1, 1, 1], "SAME") + b2)
    p2 = lib.nn.avg_pool(h2, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    grads = gradients(lib.reduce_sum(p2), [x, w1, w2, b1, b2])
    return [tuple(t.shape) for t in [h1, p1, h2, p2, *grads]]


def test_static_shapes_with_a_none_batch_match_tensorflow(graph):
    with tf.Graph().as_default():
        theirs = mnist_deep_shapes(tf, tf1.placeholder, tf1.gradients)
    ours = mnist_deep_shapes(mg, mg.placeholder, mg.gradients)
    assert ours == theirs
    assert ours[:4] == [(None, 28, 28, 32), (None, 14, 14, 32), (None, 14, 14, 64), (None, 7, 7, 64)]


def test_none_batch_runs_with_any_batch_size(graph):
    x = mg.placeholder(mg.float64, (None, 6, 6, 2))
    w = mg.constant(np.random.default_rng(0).normal(size=(3, 3, 2, 4)))
    y = mg.nn.max_pool(mg.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    (grad,) = mg.gradients(mg.reduce_sum(y), [x])
    with mg.Session() as sess:
        for batch in (1, 3):
            value, dx = sess.run([y, grad], {x: np.ones((batch, 6, 6, 2))})
            assert value.shape == (batch, 2, 2, 4) and dx.shape == (batch, 6, 6, 2)


# --- the GraphDef, next to TF's -----------------------------------------------------


def small_network(lib, placeholder):
    x = placeholder("float32", (None, 6, 6, 2))
    w = placeholder("float32", (3, 3, 2, 4))
    b = placeholder("float32", (4,))
    y = lib.nn.bias_add(lib.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), b)
    lib.nn.max_pool(y, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    lib.nn.avg_pool(y, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")


def test_graph_def_attributes_match_tensorflow(graph):
    with tf.Graph().as_default() as tf_graph:
        small_network(tf1, tf1.placeholder)
    small_network(mg, mg.placeholder)
    ours = text_format.Parse(str(graph.as_graph_def()), tf1.GraphDef())
    theirs = {node.name: node for node in tf_graph.as_graph_def().node}
    for node in ours.node:
        assert node.op == theirs[node.name].op
        assert list(node.input) == list(theirs[node.name].input), node.name
        assert node.attr == theirs[node.name].attr, node.name
    assert len(ours.node) == len(theirs)


def test_gradient_ops_attributes_match_tensorflow(graph):
    """The backward ops' attributes, by op type (TF names its shape nodes differently)."""

    def attributes_by_type(lib, placeholder, gradients, graph_def):
        x = placeholder("float32", (None, 6, 6, 2))
        w, b = placeholder("float32", (3, 3, 2, 4)), placeholder("float32", (4,))
        y = lib.nn.bias_add(lib.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), b)
        loss = lib.reduce_sum(lib.nn.max_pool(y, [1, 2, 2, 1], [1, 1, 1, 1], "SAME")) + lib.reduce_sum(
            lib.nn.avg_pool(y, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
        )
        dx, dw, db = gradients(loss, [x, w, b])
        gradients(lib.reduce_sum(dx * dx) + lib.reduce_sum(dw * dw), [x, w])  # MaxPoolGradGrad
        return {node.op: node.attr for node in graph_def().node}

    with tf.Graph().as_default() as tf_graph:
        theirs = attributes_by_type(tf1, tf1.placeholder, tf1.gradients, tf_graph.as_graph_def)
    ours = attributes_by_type(mg, mg.placeholder, mg.gradients,
                              lambda: text_format.Parse(str(graph.as_graph_def()), tf1.GraphDef()))  # fmt: skip
    backward = ["Conv2DBackpropInput", "Conv2DBackpropFilter", "MaxPoolGrad", "MaxPoolGradGrad", "AvgPoolGrad",
                "BiasAddGrad", "Shape"]  # fmt: skip
    for op_type in backward:
        assert ours[op_type] == theirs[op_type], op_type


# --- the backprop builders, called directly -------------------------------------------


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_backprop_builders_match_tensorflow(graph, padding):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 7, 6, 3)), rng.normal(size=(3, 2, 3, 4))
    out_shape = (2, 4, 3, 4) if padding == "SAME" else (2, 3, 3, 4)
    g = rng.normal(size=out_shape)
    strides = [1, 2, 2, 1]
    with tf.Graph().as_default(), tf1.Session() as sess:
        theirs = sess.run([
            tf1.nn.conv2d_backprop_input([2, 7, 6, 3], w, g, strides, padding),
            tf1.nn.conv2d_backprop_filter(x, [3, 2, 3, 4], g, strides, padding),
        ])  # fmt: skip
    sizes = mg.placeholder(mg.int32, (4,))  # a shape known only at run time
    ours = mg.Session().run(
        [mg.nn.conv2d_backprop_input(sizes, w, g, strides, padding),
         mg.nn.conv2d_backprop_filter(x, [3, 2, 3, 4], g, strides, padding)],
        {sizes: [2, 7, 6, 3]},
    )  # fmt: skip
    for mine, reference in zip(ours, theirs):
        assert relative_error(mine, reference) <= 1e-12


# --- max_pool's ties: the first max in reading order gets the gradient, as in TF ------


@pytest.mark.parametrize("ksize, strides, padding", [((2, 2), (2, 2), "VALID"), ((3, 3), (1, 1), "SAME")])
def test_max_pool_ties_route_like_tensorflow(graph, ksize, strides, padding):
    x = np.array([[1, 3, 3, 0], [3, 2, 1, 1], [0, 0, 5, 5], [0, 0, 5, 5]], np.float32).reshape(1, 4, 4, 1)

    def gradient(lib, placeholder, gradients):
        p = placeholder("float32", (1, 4, 4, 1))
        return p, gradients(lib.nn.max_pool(p, [1, *ksize, 1], [1, *strides, 1], padding), [p])[0]

    with tf.Graph().as_default(), tf1.Session() as sess:
        p, grad = gradient(tf1, tf1.placeholder, tf1.gradients)
        theirs = sess.run(grad, {p: x})
    p, grad = gradient(mg, mg.placeholder, mg.gradients)
    np.testing.assert_array_equal(mg.Session().run(grad, {p: x}), theirs)


# --- training: a few SGD steps of a small convolutional network ----------------------


def sgd_losses(lib, tf1_api, variable, session, images, labels, weights, steps=5):
    """Loss before each SGD step (tf1_api: mg, or tf.compat.v1)."""
    x, y = tf1_api.placeholder("float64", (None, 8, 8, 1)), tf1_api.placeholder("float64", (None, 3))
    w1, b1, w2, w3 = params = [variable(v) for v in weights]
    h = lib.nn.max_pool(lib.nn.relu(lib.nn.bias_add(lib.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"), b1)),
                        [1, 2, 2, 1], [1, 2, 2, 1], "SAME")  # fmt: skip
    h = lib.nn.avg_pool(lib.nn.conv2d(h, w2, [1, 2, 2, 1], "VALID"), [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
    logits = lib.matmul(lib.reshape(h, [-1, 2 * 2 * 2]), w3)
    loss = lib.reduce_mean(tf1_api.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
    grads = tf1_api.gradients(loss, params)
    with tf1_api.control_dependencies(grads):  # every gradient reads the weights before any changes
        step = [tf1_api.assign_sub(p, 0.05 * g) for p, g in zip(params, grads)]
    session.run([p.initializer for p in params])
    return [session.run([loss, step], {x: images, y: labels})[0] for _ in range(steps)]


def test_sgd_steps_of_a_small_cnn_match_tensorflow(graph):
    rng = np.random.default_rng(2)
    images, labels = rng.normal(size=(6, 8, 8, 1)), np.eye(3)[rng.integers(0, 3, 6)]
    weights = [rng.normal(size=s) * 0.5 for s in [(3, 3, 1, 4), (4,), (2, 2, 4, 2), (8, 3)]]
    with tf.Graph().as_default(), tf1.Session() as sess:
        theirs = sgd_losses(tf, tf1, lambda v: tf1.Variable(v, use_resource=False), sess, images, labels, weights)
    ours = sgd_losses(mg, mg, mg.Variable, mg.Session(), images, labels, weights)
    assert ours[-1] < ours[0] / 2  # it learns
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# --- errors: they name the node, the shapes and what was expected ---------------------


def test_shape_errors_while_building(graph):
    images = mg.placeholder(mg.float32, (None, 28, 28, 3))
    with pytest.raises(ValueError, match=r"Conv2D needs a 4-D input \(batch, height, width, channels\), "
                                         r"got shape \(28, 28\) \(node 'Conv2D', op Conv2D\)"):  # fmt: skip
        mg.nn.conv2d(mg.placeholder(mg.float32, (28, 28)), np.zeros((5, 5, 1, 2), np.float32), [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match=r"the input has 3 channels but the filter expects 1 \(input shape "
                                         r"\(None, 28, 28, 3\), filter shape \(5, 5, 1, 32\)\)"):  # fmt: skip
        mg.nn.conv2d(images, np.zeros((5, 5, 1, 32), np.float32), [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match=r"padding VALID: the window \(29 rows\) is larger than the image \(28\)"):
        mg.nn.conv2d(images, np.zeros((29, 3, 3, 2), np.float32), [1, 1, 1, 1], "VALID")
    with pytest.raises(TypeError, match=r"Conv2D needs float inputs of one dtype, got input .*float32.*, "
                                        r"filter .*float64"):  # fmt: skip
        mg.nn.conv2d(images, mg.placeholder(mg.float64, (5, 5, 3, 2)), [1, 1, 1, 1], "SAME")
    # a numpy filter takes the images' dtype, as TF converts it
    assert mg.nn.conv2d(images, np.zeros((5, 5, 3, 2)), [1, 1, 1, 1], "SAME").dtype == mg.float32
    with pytest.raises(ValueError, match=r"MaxPool needs a 4-D input .* got shape \(None, 3\)"):
        mg.nn.max_pool(mg.placeholder(mg.float32, (None, 3)), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    with pytest.raises(ValueError, match=r"the bias has 4 values but the value's last axis has 3"):
        mg.nn.bias_add(images, np.zeros(4, np.float32))


def test_attribute_errors_name_the_function(graph):
    x, w = mg.placeholder(mg.float32, (1, 4, 4, 1)), np.zeros((2, 2, 1, 1), np.float32)
    with pytest.raises(ValueError, match=r"conv2d: padding must be 'SAME' or 'VALID' \(upper case.*got 'same'"):
        mg.nn.conv2d(x, w, [1, 1, 1, 1], "same")
    with pytest.raises(NotImplementedError, match=r"data_format='NCHW' is not implemented .* NHWC"):
        mg.nn.conv2d(x, w, [1, 1, 1, 1], "SAME", data_format="NCHW")
    with pytest.raises(ValueError, match=r"strides=\[2, 1, 1, 1\] moves along the batch or channel axis"):
        mg.nn.max_pool(x, [1, 2, 2, 1], [2, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match=r"ksize must be positive ints, 1, 2 or 4 of them, got \[1, 2, 2\]"):
        mg.nn.avg_pool(x, [1, 2, 2], [1, 1, 1, 1], "SAME")
    with pytest.raises(NotImplementedError, match=r"dilations=\[1, 2, 2, 1\] are not implemented"):
        mg.nn.conv2d(x, w, [1, 1, 1, 1], "SAME", dilations=[1, 2, 2, 1])
    with pytest.raises(ValueError, match=r"conv2d needs strides= and padding="):
        mg.nn.conv2d(x, w)
    # TF1's int and 2-int forms of strides mean the same as [1, s, s, 1]
    assert mg.nn.conv2d(x, w, 2, "SAME").op.attrs["strides"] == (1, 2, 2, 1)
    assert mg.nn.max_pool(x, (2, 2), [2], "VALID").op.attrs["ksize"] == (1, 2, 2, 1)


def test_run_time_shape_errors_name_the_node(graph):
    """Where the static rule could not decide (unknown rank, None dims), the kernel checks."""
    anything = mg.placeholder(mg.float32)  # unknown rank
    y = mg.nn.conv2d(anything, np.zeros((3, 3, 2, 4), np.float32), [1, 1, 1, 1], "VALID", name="conv")
    sess = mg.Session()
    with pytest.raises(InvalidArgumentError, match=r"Conv2D needs a 4-D input .* got shape \(5, 5, 2\) "
                                                   r"\(node 'conv', op Conv2D\)"):  # fmt: skip
        sess.run(y, {anything: np.zeros((5, 5, 2))})
    with pytest.raises(InvalidArgumentError, match=r"the input has 3 channels but the filter expects 2 .*node 'conv'"):
        sess.run(y, {anything: np.zeros((1, 5, 5, 3))})
    with pytest.raises(InvalidArgumentError, match=r"window \(3 rows\) is larger than the image \(2\).*node 'conv'"):
        sess.run(y, {anything: np.zeros((1, 2, 5, 2))})
    pooled = mg.nn.max_pool(anything, [1, 2, 2, 1], [1, 2, 2, 1], "SAME", name="pool")
    with pytest.raises(InvalidArgumentError, match=r"MaxPool needs a 4-D input .*\(node 'pool', op MaxPool\)"):
        sess.run(pooled, {anything: np.zeros((4, 4))})


def test_backprop_size_errors(graph):
    w, g = np.zeros((3, 2, 3, 4)), np.zeros((2, 4, 3, 4))
    with pytest.raises(ValueError, match=r"out_backprop: expected shape \(2, 3, 3, 4\), got \(2, 4, 3, 4\) "
                                         r"\(node 'Conv2DBackpropInput'"):  # fmt: skip
        mg.nn.conv2d_backprop_input([2, 7, 6, 3], w, g, [1, 2, 2, 1], "VALID")
    with pytest.raises(TypeError, match=r"input_sizes must be a shape, 4 int32 or int64 values, got .*float32"):
        mg.nn.conv2d_backprop_input(mg.placeholder(mg.float32, (4,)), w, g, [1, 2, 2, 1], "SAME")
    sizes = mg.placeholder(mg.int32, (4,))
    dx = mg.nn.conv2d_backprop_input(sizes, w, g, [1, 2, 2, 1], "SAME", name="dx")
    assert dx.shape == (2, None, None, 3)  # batch from out_backprop, channels from the filter
    with pytest.raises(InvalidArgumentError, match=r"out_backprop: expected shape \(2, 5, 3, 4\), got \(2, 4, 3, 4\)"
                                                   r".*node 'dx'"):  # fmt: skip
        mg.Session().run(dx, {sizes: [2, 9, 6, 3]})
