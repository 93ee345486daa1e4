"""input_data.read_data_sets: TF1's tutorial MNIST, on real MNIST, with TF1's rules.

TensorFlow 2 no longer ships TF1's tensorflow/contrib/learn/.../mnist.py, so the rules
are checked one by one against what that module did: the 55,000 / 5,000 / 10,000
split in file order, pixels * (1/255) in float32, one-hot rows of float64, a first
epoch shuffled with numpy's generator seeded by `seed`, and batches that run across
the end of an epoch.
"""

import numpy as np
import pytest

from minigraph.examples.tutorials.mnist import input_data
from minigraph.keras.datasets import mnist

pytestmark = pytest.mark.slow  # reads the real MNIST


@pytest.fixture(scope="module")
def keras_arrays():
    return mnist.load_data()


@pytest.fixture(scope="module")
def data_sets():
    return input_data.read_data_sets("MNIST_data/", one_hot=True)


def test_split_shapes_and_dtypes(data_sets):
    train, validation, test = data_sets
    assert (train.num_examples, validation.num_examples, test.num_examples) == (55000, 5000, 10000)
    assert train.images.shape == (55000, 784) and train.images.dtype == np.float32
    assert train.labels.shape == (55000, 10) and train.labels.dtype == np.float64
    assert train.images.min() == 0.0 and train.images.max() == 1.0
    assert (train.labels.sum(axis=1) == 1).all()
    assert train.epochs_completed == 0


def test_values_are_keras_pixels_over_255_in_file_order(data_sets, keras_arrays):
    (x_train, y_train), (x_test, y_test) = keras_arrays
    scaled = x_train.reshape(60000, 784).astype(np.float32) * np.float32(1 / 255)
    np.testing.assert_array_equal(data_sets.validation.images, scaled[:5000])
    np.testing.assert_array_equal(data_sets.train.images, scaled[5000:])
    np.testing.assert_array_equal(data_sets.test.labels.argmax(axis=1), y_test)
    assert data_sets.validation.labels[0].argmax() == 5  # MNIST's first training digit is a 5


def test_options(keras_arrays):
    (x_train, y_train), _ = keras_arrays
    raw = input_data.read_data_sets(None, dtype="uint8", reshape=False, validation_size=100)
    assert raw.train.images.shape == (59900, 28, 28, 1) and raw.train.images.dtype == np.uint8
    np.testing.assert_array_equal(raw.validation.images[..., 0], x_train[:100])
    np.testing.assert_array_equal(raw.train.labels, y_train[100:])  # digits, not one-hot
    assert raw.train.labels.dtype == np.uint8
    with pytest.raises(ValueError, match=r"Validation size should be between 0 and 60000. Received: 60001."):
        input_data.read_data_sets(None, validation_size=60001)
    with pytest.raises(TypeError, match="Invalid image dtype 'float64', expected uint8 or float32"):
        input_data.read_data_sets(None, dtype="float64")


def test_first_batch_follows_tf1s_seeded_shuffle(keras_arrays):
    """TF1 seeded numpy with `seed` and shuffled indices 0..n-1 with np.random.shuffle."""
    (x_train, y_train), _ = keras_arrays
    train = input_data.read_data_sets(None, seed=7).train
    np.random.seed(7)
    order = np.arange(55000)
    np.random.shuffle(order)
    images, labels = train.next_batch(100)
    np.testing.assert_array_equal(labels, y_train[5000:][order[:100]])
    np.testing.assert_array_equal(images, x_train[5000:][order[:100]].reshape(100, 784) * np.float32(1 / 255))


def test_without_seed_numpys_global_seed_makes_it_repeat():
    def first_labels():
        np.random.seed(3)
        return input_data.read_data_sets(None).train.next_batch(50)[1]

    np.testing.assert_array_equal(first_labels(), first_labels())


def small_data_set(n=10):
    images = np.arange(n, dtype=np.uint8).reshape(n, 1, 1, 1)
    return input_data.DataSet(images, np.arange(n), dtype="uint8", seed=0)


def test_batches_cross_epochs_without_shuffling():
    data = small_data_set()
    batches = [data.next_batch(4, shuffle=False)[1].tolist() for _ in range(4)]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1], [2, 3, 4, 5]]
    assert data.epochs_completed == 1


def test_each_shuffled_epoch_sees_every_example_once():
    data = small_data_set()
    first, second, crossing = (data.next_batch(4)[1] for _ in range(3))
    epoch_one = np.concatenate([first, second, crossing[:2]])
    assert sorted(epoch_one) == list(range(10))  # the tail of epoch 1 ...
    assert data.epochs_completed == 1
    rest = np.concatenate([crossing[2:], data.next_batch(8)[1]])  # ... then epoch 2, reshuffled
    assert sorted(rest) == list(range(10))
    assert data.epochs_completed == 1  # exactly at the end of epoch 2, not past it


def test_fake_data():
    fake = input_data.read_data_sets(None, fake_data=True, one_hot=True)
    assert fake.train.num_examples == 10000
    images, labels = fake.train.next_batch(3, fake_data=True)
    assert len(images) == 3 and images[0] == [1] * 784
    assert labels[0] == [1] + [0] * 9


def test_train_dir_is_a_cache_to_read(tmp_path, keras_arrays):
    """A copy of the data in train_dir/mnist.npz is read from there, and checked."""
    (x_train, y_train), (x_test, y_test) = keras_arrays
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    from_cache = input_data.read_data_sets(str(tmp_path))
    np.testing.assert_array_equal(from_cache.test.labels, y_test)
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test[::-1])
    with pytest.raises(ValueError, match="y_test has sha256"):  # the file was read, and it is not MNIST
        input_data.read_data_sets(str(tmp_path))
    assert not (tmp_path / "other").exists()
    input_data.read_data_sets(str(tmp_path / "other"))  # no cache there: nothing is written
    assert not (tmp_path / "other").exists()


def softmax_regression_accuracy(tf, steps: int = 300) -> float:
    """A TF1 tutorial-style program, written against `tf` (minigraph or tf.compat.v1)."""
    data = input_data.read_data_sets("MNIST_data/", one_hot=True, seed=1)
    with tf.Graph().as_default():
        x = tf.placeholder("float", [None, 784])
        W = tf.Variable(tf.zeros([784, 10]))
        b = tf.Variable(tf.zeros([10]))
        y = tf.matmul(x, W) + b
        y_ = tf.placeholder(tf.float32, [None, 10])
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_, logits=y))
        train_step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        correct = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
        accuracy = tf.reduce_mean(tf.cast(correct, "float"))
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            for _ in range(steps):
                batch_xs, batch_ys = data.train.next_batch(100)
                session.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})
            return session.run(accuracy, feed_dict={x: data.test.images, y_: data.test.labels})


def test_a_tutorial_program_reaches_tensorflows_accuracy():
    """The same batches (seed=1) through minigraph and TensorFlow: the same test accuracy,
    to float32 noise, and the tutorial's ~0.9."""
    import tensorflow as tf

    ours, theirs = softmax_regression_accuracy(__import__("minigraph")), softmax_regression_accuracy(tf.compat.v1)
    assert abs(ours - theirs) <= 0.002
    assert ours > 0.88
