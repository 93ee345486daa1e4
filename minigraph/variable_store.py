"""Where a session keeps its variables' values, and how stateful kernels reach them.

Nodes only describe; values live in a Session. Most values last one ``run``, but a
variable's value lasts as long as the session: it lives in the session's
``VariableStore``, a dictionary from a variable's storage node to a numpy array.

An op that reads or writes a variable (``Variable/read``, ``Assign``, an optimizer's
``ApplyAdam``) names the variable as a *ref input*: an edge to the storage node
itself rather than to a value. When the op runs, that argument of its ``forward``
is a ``VariableRef``: a handle with ``read()`` and ``write(value)``. Every other
argument is a numpy array, as for any op. So a stateful kernel looks like this::

    def forward(self, variable, delta):       # variable: VariableRef, delta: ndarray
        variable.write(variable.read() + delta)

Values are never changed in place: ``write`` stores a new array, so a value fetched
earlier keeps its number (the fused Adam reuses only arrays nobody holds: train/fused.py).

A run is all or nothing. The session runs each ``run`` inside ``transaction()``:
the run's first write keeps the store's dictionary as it was aside, and if the run
fails (a bad value in the third of four updates, say), every variable gets its old
value back. TF1 itself can leave a training step half applied; minigraph never does.

The store also keeps what an op itself carries from run to run (``keeps_state``): a
random op's generator, made the first time the session runs the op. So two sessions
on one graph draw from streams of their own, and each run draws afresh.
"""

from __future__ import annotations

import numpy as np

from minigraph.errors import FailedPreconditionError

_NOTHING_WRITTEN = object()  # inside a transaction that has not written yet


class VariableStore:
    """A session's variable values: {storage node: numpy array}."""

    def __init__(self):
        self._values: dict = {}
        # inside a transaction: _NOTHING_WRITTEN, then, from its first write on, a copy of
        # _values as it was (a shallow copy: the arrays themselves are never changed)
        self._before: object = None
        self._op_states: dict = {}  # op -> the state it keeps in this session (see op_state)

    def is_initialized(self, storage) -> bool:
        return storage in self._values

    def read(self, storage) -> np.ndarray:
        try:
            return self._values[storage]
        except KeyError:
            raise FailedPreconditionError(
                f"Attempting to use uninitialized value {storage.name}: run "
                f"mg.global_variables_initializer() (or the variable's initializer) first",
                op=storage,
            ) from None

    def write(self, storage, value: np.ndarray) -> None:
        if self._before is _NOTHING_WRITTEN:
            # one copy of a dictionary (14 entries for the worksheet: 0.1 µs), not a check
            # and a lookup on every write: a training step writes a dozen variables
            self._before = self._values.copy()
        self._values[storage] = value

    def read_many(self, storages: list) -> list:
        """[read(storage) for storage in storages], in one call (the fused Adam reads a dozen)."""
        try:
            return list(map(self._values.__getitem__, storages))
        except KeyError:
            for storage in storages:
                self.read(storage)  # raises, naming the first uninitialized variable
            raise

    def write_many(self, values: dict) -> None:
        """write(storage, value) for each item of {storage: value}, in one call."""
        if self._before is _NOTHING_WRITTEN:
            self._before = self._values.copy()
        self._values.update(values)

    def transaction(self) -> "Transaction":
        """``with store.transaction():`` writes inside take effect together, or, if the
        block raises, not at all."""
        return Transaction(self)

    def _undo(self) -> None:
        if self._before is not _NOTHING_WRITTEN:
            self._values.clear()  # in place: the same dictionary before and after
            self._values.update(self._before)

    def ref(self, storage) -> "VariableRef":
        """The handle a kernel gets for a ref input that names `storage`."""
        return VariableRef(self, storage)

    def op_state(self, op):
        """The state `op` keeps in this session (a random op's generator), made on first use."""
        if op not in self._op_states:
            self._op_states[op] = op.initial_state()
        return self._op_states[op]

    def clear(self) -> None:
        self._values.clear()
        self._op_states.clear()


class Transaction:
    """The context of ``VariableStore.transaction``: a class rather than a generator
    (contextlib), because a training step enters one per run and this costs a third."""

    __slots__ = ("store",)

    def __init__(self, store: VariableStore):
        self.store = store

    def __enter__(self) -> None:
        self.store._before = _NOTHING_WRITTEN

    def __exit__(self, error_type, error, traceback) -> None:
        try:
            if error_type is not None:
                self.store._undo()
        finally:
            self.store._before = None


class VariableRef:
    """One variable of one session, as a stateful kernel sees it."""

    __slots__ = ("store", "storage")

    def __init__(self, store: VariableStore, storage):
        self.store = store
        self.storage = storage

    @property
    def name(self) -> str:
        return self.storage.name

    def read(self) -> np.ndarray:
        try:  # the store's dictionary itself: every step reads each variable, so one call less
            return self.store._values[self.storage]
        except KeyError:
            return self.store.read(self.storage)  # raises, naming the variable

    def write(self, value: np.ndarray) -> None:
        self.store.write(self.storage, value)

    def __repr__(self) -> str:
        return f"<VariableRef {self.storage.name}>"
