"""A TensorFlow 1.x program, as courses wrote them, on minigraph:
``python3 -m minigraph.examples.tf1_mnist --steps 1000``.

Written in the style of TF 1.x's MNIST tutorials, but in minigraph's own words: the
only line that says minigraph is ``import minigraph as tf``. With
``import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()`` in its place it runs
on TensorFlow and reaches the same accuracy, give or take the random initial weights.

What it uses, in the order a student meets it:

- ``tf.app.flags`` and ``tf.app.run``: the settings, read from the command line;
- ``input_data.read_data_sets``: MNIST with labels as digits (int), ``next_batch``;
- placeholders of a fixed batch size, ``tf.Variable`` initialized from
  ``tf.truncated_normal`` inside ``tf.name_scope``;
- ``tf.losses.sparse_softmax_cross_entropy``: the mean cross-entropy of the logits
  against digits, no one-hot rows needed;
- ``minimize(loss, global_step=...)``, which counts the steps taken;
- ``tf.nn.in_top_k``: per image, whether the true digit has the largest logit;
  summed over a batch, the number of hits.
"""

import math

import minigraph as tf
from minigraph.examples.tutorials.mnist import input_data

flags = tf.app.flags
flags.DEFINE_integer("steps", 1000, "Training steps.")
flags.DEFINE_integer("batch_size", 100, "Images per step; divides 5,000 and 10,000.")
flags.DEFINE_integer("hidden", 128, "Units in the hidden layer.")
flags.DEFINE_float("learning_rate", 0.1, "Gradient descent's step size.")
flags.DEFINE_string("data_dir", "/tmp/mnist", "Where a cached copy of MNIST may be.")
FLAGS = flags.FLAGS

PIXELS, DIGITS = 28 * 28, 10


def dense(inputs, units_in: int, units_out: int, scope: str):
    """inputs @ weights + biases, with weights ~ N(0, 1/units_in) cut at two deviations."""
    with tf.name_scope(scope):
        weights = tf.Variable(tf.truncated_normal([units_in, units_out], stddev=1.0 / math.sqrt(units_in)),
                              name="weights")
        biases = tf.Variable(tf.zeros([units_out]), name="biases")
        return tf.matmul(inputs, weights) + biases


def hits_in(sess, hits, images, digits, data_set) -> float:
    """The fraction of `data_set` classified right, one batch at a time."""
    batches = data_set.num_examples // FLAGS.batch_size
    total = sum(sess.run(hits, {images: batch[0], digits: batch[1]})
                for batch in (data_set.next_batch(FLAGS.batch_size) for _ in range(batches)))
    return total / (batches * FLAGS.batch_size)


def train_and_test() -> float:
    """Builds the network in the default graph, trains it, returns its test accuracy."""
    mnist = input_data.read_data_sets(FLAGS.data_dir)
    images = tf.placeholder(tf.float32, shape=(FLAGS.batch_size, PIXELS), name="images")
    digits = tf.placeholder(tf.int32, shape=(FLAGS.batch_size,), name="digits")

    hidden = tf.nn.relu(dense(images, PIXELS, FLAGS.hidden, "hidden"))
    logits = dense(hidden, FLAGS.hidden, DIGITS, "logits")
    loss = tf.losses.sparse_softmax_cross_entropy(labels=digits, logits=logits)
    global_step = tf.Variable(0, name="global_step", trainable=False)
    train = tf.train.GradientDescentOptimizer(FLAGS.learning_rate).minimize(loss, global_step=global_step)
    hits = tf.reduce_sum(tf.cast(tf.nn.in_top_k(logits, digits, 1), tf.int32))

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(FLAGS.steps):
            batch_images, batch_digits = mnist.train.next_batch(FLAGS.batch_size)
            _, loss_value, step = sess.run([train, loss, global_step], {images: batch_images, digits: batch_digits})
            if step % 200 == 0:
                print(f"step {step}: loss {loss_value:.3f}")
        return hits_in(sess, hits, images, digits, mnist.test)


def main(_argv) -> None:
    print(f"test accuracy after {FLAGS.steps} steps: {train_and_test():.4f}")


if __name__ == "__main__":
    tf.app.run(main)
