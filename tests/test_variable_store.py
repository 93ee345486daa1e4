"""The session's VariableStore (minigraph/variable_store.py): reads, writes, and the
transaction that makes a run all or nothing. ``read_many`` and ``write_many`` (the
fused Adam's dozen reads and writes in one call each) must do exactly what a loop of
``read`` and ``write`` does, errors and undo included."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.variable_store import VariableStore


@pytest.fixture
def storages():
    with mg.Graph().as_default():
        return [mg.Variable(np.zeros(2, np.float32), name=name).op for name in ("a", "b", "c")]


def test_read_many_is_each_read_in_order(storages):
    store = VariableStore()
    values = [np.full(2, number, np.float32) for number in range(3)]
    for storage, value in zip(storages, values):
        store.write(storage, value)
    read = store.read_many(storages[::-1])
    assert all(ours is theirs for ours, theirs in zip(read, values[::-1], strict=True))


def test_read_many_names_the_first_uninitialized_variable(storages):
    store = VariableStore()
    store.write(storages[0], np.zeros(2, np.float32))
    with pytest.raises(mg.errors.FailedPreconditionError,
                       match="^Attempting to use uninitialized value b: run mg.global_variables_initializer"):
        store.read_many(storages)


def test_write_many_outside_a_transaction_stores_each_value(storages):
    store = VariableStore()
    values = [np.full(2, number, np.float32) for number in range(3)]
    store.write_many(dict(zip(storages, values)))
    assert all(store.read(storage) is value for storage, value in zip(storages, values))


def test_a_failed_transaction_undoes_write_many_to_the_oldest_values(storages):
    """The undo restores what each variable held before the run: a value written earlier
    in the run (a's first write) is not what is restored, and c, which had no value,
    has none again."""
    store = VariableStore()
    a_before, b_before = np.zeros(2, np.float32), np.ones(2, np.float32)
    store.write(storages[0], a_before)
    store.write(storages[1], b_before)
    with pytest.raises(RuntimeError, match="the run failed"):
        with store.transaction():
            store.write(storages[0], np.full(2, 5, np.float32))
            store.write_many(dict.fromkeys(storages, np.full(2, 6, np.float32)))
            assert store.read(storages[2])[0] == 6
            raise RuntimeError("the run failed")
    assert store.read(storages[0]) is a_before and store.read(storages[1]) is b_before
    assert not store.is_initialized(storages[2])


def test_a_transaction_that_succeeds_keeps_write_many(storages):
    store = VariableStore()
    store.write_many(dict.fromkeys(storages, np.zeros(2, np.float32)))
    new = [np.full(2, number, np.float32) for number in range(3)]
    with store.transaction():
        store.write_many(dict(zip(storages, new)))
    assert all(store.read(storage) is value for storage, value in zip(storages, new))
    assert store._before is None  # nothing kept for an undo once the run is over


def test_a_transaction_keeps_nothing_aside_until_it_writes(storages):
    store = VariableStore()
    value = np.zeros(2, np.float32)
    store.write(storages[0], value)
    with pytest.raises(RuntimeError):
        with store.transaction():
            assert store.read(storages[0]) is value
            assert store._before is not None and not isinstance(store._before, dict)  # no copy made
            raise RuntimeError("failed before any write")
    assert store.read(storages[0]) is value and not store.is_initialized(storages[1])
