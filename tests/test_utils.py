"""Tests for minigraph.keras.utils.to_categorical, against Keras's own."""

import keras
import numpy as np
import pytest

from minigraph.keras.utils import np_utils, to_categorical

CASES = [
    ([0, 1, 2, 3], None),
    ([3, 0, 1, 1], 5),
    (np.array([2, 0, 1], dtype=np.uint8), None),
    (np.array([[2], [0], [1], [9]]), 10),  # (n, 1), as labels often come
    (np.array([[0, 1], [2, 0]]), None),  # any shape: one-hot along a new last axis
    (np.array([0.0, 2.0, 1.0]), None),  # whole floats are labels too
    (np.array(4), 6),  # a single label
    (np.array([True, False]), None),
]


@pytest.mark.parametrize("labels, num_classes", CASES)
def test_matches_keras(labels, num_classes):
    ours = to_categorical(labels, num_classes)
    theirs = keras.utils.to_categorical(labels, num_classes)
    assert ours.dtype == np.float32  # Keras 2 gave float32; Keras 3 gives float64
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_one_hot_rows():
    one_hot = to_categorical([0, 2, 1])
    np.testing.assert_array_equal(one_hot, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert to_categorical(np.array([[1], [0]]), 3).shape == (2, 3)
    assert to_categorical([], num_classes=4).shape == (0, 4)


def test_keras_2_import_path_is_the_same_function():
    assert np_utils.to_categorical is to_categorical


def test_negative_labels():
    with pytest.raises(ValueError) as caught:
        to_categorical([0, 1, -1, 2])
    assert str(caught.value) == "labels must be >= 0, got y[2] = -1"


def test_labels_at_or_above_num_classes():
    with pytest.raises(ValueError) as caught:
        to_categorical(np.array([[0], [3], [1]]), num_classes=3)
    assert str(caught.value) == "labels must be < num_classes=3, got y[1, 0] = 3"


def test_labels_that_are_not_whole_numbers():
    with pytest.raises(ValueError) as caught:
        to_categorical([0, 1.5, 2])
    assert str(caught.value) == "labels must be whole numbers, got y[1] = 1.5"
    with pytest.raises(ValueError, match=r"got y\[0\] = nan"):
        to_categorical([np.nan])
    with pytest.raises(TypeError, match="labels must be integers, got an array of dtype <U3"):
        to_categorical(["cat", "dog"])


@pytest.mark.parametrize("bad", [0, -2, 2.5, "10"])
def test_num_classes_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match=f"num_classes must be a positive integer, got {bad!r}"):
        to_categorical([0, 1], num_classes=bad)


def test_num_classes_cannot_be_inferred_from_no_labels():
    with pytest.raises(ValueError, match="cannot infer num_classes from an empty array of labels"):
        to_categorical([])
