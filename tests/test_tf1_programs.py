"""TF 1.x programs in the style of TF's own MNIST tutorials, run on minigraph.

Each program is written once, against a module called ``tf``, and run with minigraph
in its place, the way a student would run a TF1 program after changing its import. The
programs use what TF's tutorials use: ``input_data.read_data_sets`` and
``next_batch``, placeholders fed batch by batch, ``tf.losses`` and ``tf.nn``'s
cross-entropies, ``in_top_k`` to count hits, name scopes, ``global_step``, summaries,
conv2d / max_pool / dropout, ``Tensor.eval`` and ``Operation.run`` under a default
session. They train for a few hundred steps on real MNIST and must reach an accuracy
band that a broken gradient, loss or kernel would miss.

The softmax regression starts from zeros, so it has no randomness but the batches:
run on tf.compat.v1 with the same batches, it must reach TF's accuracy to within a
few test images.
"""

import re
import subprocess
import sys

import numpy as np
import pytest

import minigraph as mg
from minigraph.examples.tutorials.mnist import input_data

pytestmark = pytest.mark.slow  # real MNIST, and training


@pytest.fixture(scope="module")
def mnist():
    return input_data.read_data_sets("MNIST_data/", seed=1)


@pytest.fixture(scope="module")
def mnist_one_hot():
    return input_data.read_data_sets("MNIST_data/", one_hot=True, seed=2)


def batches(data_set, size, steps, seed):
    """The same `steps` batches for every library: indices drawn once, up front."""
    order = np.random.default_rng(seed).integers(0, data_set.num_examples, size=(steps, size))
    return [(data_set.images[rows], data_set.labels[rows]) for rows in order]


def softmax_regression(tf, mnist, steps=300):
    """Logistic regression on integer labels: tf.losses.sparse_softmax_cross_entropy, plain SGD."""
    images = tf.placeholder(tf.float32, [None, 784])
    digits = tf.placeholder(tf.int64, [None])
    weights = tf.Variable(tf.zeros([784, 10]))
    bias = tf.Variable(tf.zeros([10]))
    logits = tf.matmul(images, weights) + bias
    loss = tf.losses.sparse_softmax_cross_entropy(labels=digits, logits=logits)
    step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), digits), tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for batch_images, batch_digits in batches(mnist.train, 100, steps, seed=3):
            sess.run(step, feed_dict={images: batch_images, digits: batch_digits})
        return sess.run(accuracy, feed_dict={images: mnist.test.images, digits: mnist.test.labels})


def test_softmax_regression_reaches_tensorflows_accuracy(mnist):
    import tensorflow as real_tf

    ours = softmax_regression(mg, mnist)
    with real_tf.Graph().as_default():
        theirs = softmax_regression(real_tf.compat.v1, mnist)
    assert 0.88 < ours < 0.94
    assert abs(ours - theirs) <= 0.002  # 20 of 10,000 test images: float32 rounding, nothing more


def layer(tf, inputs, units, name, activation=None):
    """A dense layer written out as TF's tutorials do: a name scope, two Variables."""
    fan_in = int(inputs.shape[1])
    with tf.name_scope(name):
        weights = tf.Variable(tf.truncated_normal([fan_in, units], stddev=1.0 / np.sqrt(fan_in)), name="weights")
        biases = tf.Variable(tf.zeros([units]), name="biases")
        out = tf.matmul(inputs, weights) + biases
        return out if activation is None else activation(out)


def test_two_hidden_layers_with_in_top_k_and_a_global_step(mnist, tmp_path):
    """The feed-dictionary program: fixed-size placeholders, int32 labels, in_top_k counts
    the hits of each evaluation batch, minimize() advances global_step, a loss summary."""
    batch_size, steps = 100, 400
    with mg.Graph().as_default():
        mg.set_random_seed(4)
        images = mg.placeholder(mg.float32, shape=(batch_size, 784))
        digits = mg.placeholder(mg.int32, shape=(batch_size,))
        hidden = layer(mg, images, 128, "hidden1", mg.nn.relu)
        hidden = layer(mg, hidden, 32, "hidden2", mg.nn.relu)
        logits = layer(mg, hidden, 10, "softmax_linear")
        loss = mg.losses.sparse_softmax_cross_entropy(labels=mg.to_int64(digits), logits=logits)
        mg.summary.scalar("loss", loss)
        global_step = mg.Variable(0, name="global_step", trainable=False)
        train_op = mg.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=global_step)
        hits = mg.reduce_sum(mg.cast(mg.nn.in_top_k(logits, digits, 1), mg.int32))
        summary = mg.summary.merge_all()
        with mg.Session() as sess:
            sess.run(mg.global_variables_initializer())
            losses = []
            for step in range(steps):
                batch_images, batch_digits = mnist.train.next_batch(batch_size)
                _, loss_value = sess.run([train_op, loss], feed_dict={images: batch_images, digits: batch_digits})
                losses.append(loss_value)
            assert sess.run(global_step) == steps
            assert isinstance(sess.run(summary, {images: batch_images, digits: batch_digits}), bytes)
            correct = sum(sess.run(hits, {images: mnist.test.images[i:i + batch_size],
                                          digits: mnist.test.labels[i:i + batch_size]})
                          for i in range(0, 10000, batch_size))
    assert np.mean(losses[:10]) > 1.5 and np.mean(losses[-50:]) < 0.5  # it learned
    assert 0.88 < correct / 10000 < 0.97


def test_a_small_convolutional_network_with_dropout(mnist_one_hot):
    """The deep tutorial in small: conv / max_pool twice, dropout fed as keep_prob, Adam,
    the TF1 cross-entropy on one-hot labels; Operation.run and Tensor.eval use the session."""
    with mg.Graph().as_default():
        mg.set_random_seed(5)
        x = mg.placeholder(mg.float32, [None, 784])
        y_ = mg.placeholder(mg.float32, [None, 10])
        keep_prob = mg.placeholder(mg.float32)
        h = mg.reshape(x, [-1, 28, 28, 1])
        for name, channels_in, channels_out in (("conv1", 1, 8), ("conv2", 8, 16)):
            with mg.name_scope(name):
                kernel = mg.Variable(mg.truncated_normal([5, 5, channels_in, channels_out], stddev=0.1))
                bias = mg.Variable(mg.constant(0.1, shape=[channels_out]))
                h = mg.nn.relu(mg.nn.conv2d(h, kernel, strides=[1, 1, 1, 1], padding="SAME") + bias)
                h = mg.nn.max_pool(h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
        flat = mg.nn.dropout(mg.reshape(h, [-1, 7 * 7 * 16]), keep_prob)
        logits = layer(mg, flat, 10, "readout")
        loss = mg.reduce_mean(mg.nn.softmax_cross_entropy_with_logits(labels=y_, logits=logits))
        train_step = mg.train.AdamOptimizer(2e-3).minimize(loss)
        accuracy = mg.reduce_mean(mg.cast(mg.equal(mg.argmax(logits, 1), mg.argmax(y_, 1)), mg.float32))
        with mg.Session() as sess:
            sess.run(mg.global_variables_initializer())
            for _ in range(150):
                batch = mnist_one_hot.train.next_batch(50)
                train_step.run(feed_dict={x: batch[0], y_: batch[1], keep_prob: 0.5})
            test = {x: mnist_one_hot.test.images[:2000], y_: mnist_one_hot.test.labels[:2000], keep_prob: 1.0}
            assert 0.88 < accuracy.eval(feed_dict=test) < 0.99


def test_a_zero_detector_with_sigmoid_cross_entropy_and_weight_decay(mnist):
    """One logit per image, "is it a 0?": the sigmoid cross-entropy on float labels, plus
    l2_loss as weight decay; the features l2-normalized first."""
    with mg.Graph().as_default():
        x = mg.placeholder(mg.float32, [None, 784])
        is_zero = mg.placeholder(mg.float32, [None, 1])
        features = mg.nn.l2_normalize(x, axis=1)
        weights = mg.Variable(mg.zeros([784, 1]))
        bias = mg.Variable(mg.zeros([1]))
        logit = mg.matmul(features, weights) + bias
        data_loss = mg.reduce_mean(mg.nn.sigmoid_cross_entropy_with_logits(labels=is_zero, logits=logit))
        loss = data_loss + 1e-4 * mg.nn.l2_loss(weights)
        step = mg.train.GradientDescentOptimizer(2.0).minimize(loss)
        said_zero = mg.cast(mg.greater(logit, 0.0), mg.float32)
        accuracy = mg.reduce_mean(mg.cast(mg.equal(said_zero, is_zero), mg.float32))
        with mg.Session() as sess:
            sess.run(mg.global_variables_initializer())
            for images, digits in batches(mnist.train, 100, 300, seed=6):
                sess.run(step, {x: images, is_zero: (digits == 0).astype(np.float32)[:, None]})
            test_accuracy = sess.run(accuracy, {x: mnist.test.images,
                                                is_zero: (mnist.test.labels == 0).astype(np.float32)[:, None]})
    assert 0.97 < test_accuracy  # saying "not a zero" every time scores 0.902


def test_the_example_program_runs_as_a_script():
    """minigraph/examples/tf1_mnist.py, run as a student runs it: flags on the command line."""
    done = subprocess.run([sys.executable, "-m", "minigraph.examples.tf1_mnist", "--steps", "300"],
                          capture_output=True, text=True, timeout=300, check=True)
    accuracy = float(re.search(r"test accuracy after 300 steps: (\S+)", done.stdout).group(1))
    assert 0.88 < accuracy < 0.96
