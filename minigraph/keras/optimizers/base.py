"""What every Keras optimizer adds to ``mg.train``'s: the learning rate as a variable.

A TF1 optimizer bakes a Python learning rate into the graph as a constant. Keras 2
made it a *variable* of the backend graph instead (``optimizer.lr``), because
callbacks change it while a model trains::

    K.set_value(model.optimizer.lr, 0.01)          # ReduceLROnPlateau does this

and the next training step reads the new value: the update ops take the variable as
an input, so nothing in the graph has to be rebuilt. ``optimizer.learning_rate`` is
the same variable (Keras 2 knew it by both names). The variable is made the first
time it is asked for, in the graph the optimizer is used in.

Keras 2's other arguments, kept here for every optimizer:

- ``lr=`` is the old name of ``learning_rate`` (Keras 2 programs use it);
- ``decay=d`` lowers the rate as training goes on (Keras 2's time-based decay):
  ``lr_t = lr / (1 + d * iterations)``, iterations counting the steps done so far;
- ``clipnorm=c`` rescales each gradient whose L2 norm exceeds c to norm c, and
  ``clipvalue=c`` clips each gradient's entries to [-c, c], before the update;
- ``get_config()`` gives the constructor's arguments, so ``cls.from_config(config)``
  (``cls(**config)``) rebuilds the optimizer: this is how saved models store it.

``get_updates(loss, params)`` is Keras 2's name for ``minimize``; it returns a list
of the ops to run each step.
"""

from __future__ import annotations

import numpy as np

import minigraph as mg
from minigraph.graph import Tensor
from minigraph.keras import backend as K
from minigraph.ops.state import Variable
from minigraph.train.optimizer import Optimizer


class KerasOptimizer(Optimizer):
    """Base class of minigraph.keras's optimizers (see the module docstring)."""

    def __init__(self, learning_rate: float, name: str, lr: float | None = None, decay: float = 0.0,
                 clipnorm: float | None = None, clipvalue: float | None = None, **unknown):
        if unknown:  # a typo (or a Keras 3-only argument) should not be silently ignored
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments {sorted(unknown)}; "
                            "it takes learning_rate (or lr), decay, clipnorm, clipvalue and its own "
                            "hyper-parameters")
        self._rate_variable: Variable | None = None
        super().__init__(name)
        if lr is not None:  # Keras 2's name wins, as in Keras 2
            learning_rate = lr
        if not isinstance(learning_rate, (int, float, np.floating, np.integer)) or learning_rate < 0:
            raise ValueError(f"{type(self).__name__}'s learning_rate must be a number >= 0, got {learning_rate!r}")
        if decay < 0:
            raise ValueError(f"{type(self).__name__}'s decay must be >= 0, got {decay!r}")
        for label, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue)):
            if value is not None and not value > 0:
                raise ValueError(f"{type(self).__name__}'s {label} must be > 0, got {value!r}")
        self._initial_rate = float(learning_rate)
        self.decay = float(decay)
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        self.clipvalue = None if clipvalue is None else float(clipvalue)

    # --- the learning rate, a variable --------------------------------------------------
    @property
    def learning_rate(self) -> Variable:
        """The learning rate variable (float32): the one the updates read, or, before the
        optimizer is used, one made in the default graph."""
        if self._rate_variable is None:
            return self._rate_variable_in(mg.get_default_graph())
        return self._rate_variable

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if value is None:  # Optimizer.__init__'s placeholder: the rate is set by __init__ above
            return
        if self._rate_variable is None:
            self._initial_rate = float(value)
        else:
            K.set_value(self._rate_variable, value)

    lr = learning_rate  # Keras 2's name for the same variable

    def _rate_variable_in(self, graph) -> Variable:
        """The rate variable, made in `graph` if there is none there yet (an optimizer used
        in a second graph gets a second variable, starting from the initial rate)."""
        if self._rate_variable is None or self._rate_variable.graph is not graph:
            with graph.as_default(), graph.name_scope(None):
                self._rate_variable = Variable(np.float32(self._initial_rate), name=f"{self.name}/learning_rate",
                                               trainable=False)
        return self._rate_variable

    def current_learning_rate(self) -> float:
        """The rate's value now: the variable's, read in Keras's session, once it exists."""
        if self._rate_variable is None:
            return self._initial_rate
        return float(str(K.get_value(self._rate_variable)))  # float32's shortest digits: 0.01, not 0.00999...

    def _prepare(self) -> None:
        """The rate every update of this step reads: the variable, decayed by the step count."""
        rate = self._rate_variable_in(mg.get_default_graph())
        if self.decay:  # Keras 2: lr / (1 + decay * iterations), in float32
            steps = mg.cast(self.iterations, mg.float32)
            rate = mg.divide(rate, 1.0 + self.decay * steps, name="decayed_learning_rate")
        self._learning_rate_tensor = rate

    # --- clipping, then the updates ---------------------------------------------------------
    def apply_gradients(self, grads_and_vars, global_step=None, name: str | None = None):
        pairs = list(grads_and_vars)
        if self.clipnorm is not None or self.clipvalue is not None:
            pairs = [(None if gradient is None else self._clip(gradient), variable) for gradient, variable in pairs]
        return super().apply_gradients(pairs, global_step=global_step, name=name)

    def _clip(self, gradient: Tensor) -> Tensor:
        """Keras's clipping of one gradient: to norm clipnorm (the norm taken over the whole
        gradient, a zero gradient left alone), else each entry to [-clipvalue, clipvalue]."""
        with gradient.graph.as_default(), gradient.graph.name_scope(f"{self.name}/clip"):
            if self.clipnorm is not None:
                squares = mg.reduce_sum(mg.square(gradient), keepdims=True)
                norm = mg.sqrt(squares)  # sqrt's gradient at 0 is never taken: clipping is not differentiated
                return mg.divide(gradient * self.clipnorm, mg.maximum(norm, self.clipnorm))
            return mg.clip_by_value(gradient, -self.clipvalue, self.clipvalue)

    def get_updates(self, loss, params) -> list:
        """Keras 2's name for minimize: the ops to run each training step, as a list."""
        return [self.minimize(loss, var_list=params)]

    def variables(self) -> list[Variable]:
        """The step count, the learning rate and every slot: what a saved model keeps."""
        state = super().variables()
        if self._rate_variable is None:
            return state
        return state[:1] + [self._rate_variable] + state[1:]

    @property
    def weights(self) -> list[Variable]:
        """Keras 2's name for the optimizer's variables."""
        return self.variables()

    def get_weights(self) -> list:
        """The values of the optimizer's variables, read in Keras's session."""
        return K.batch_get_value(self.variables())

    def set_weights(self, values) -> None:
        """Gives the optimizer's variables `values` (as get_weights returned them)."""
        variables, values = self.variables(), list(values)
        if len(values) != len(variables):
            raise ValueError(f"{type(self).__name__}.set_weights(): the optimizer has {len(variables)} variables "
                             f"({[v.op.name for v in variables]}), got {len(values)} values")
        K.batch_set_value(list(zip(variables, values)))

    # --- configuration ----------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor's keyword arguments (the learning rate as it is now)."""
        config = {"name": self.name, "learning_rate": self.current_learning_rate(), "decay": self.decay}
        if self.clipnorm is not None:
            config["clipnorm"] = self.clipnorm
        if self.clipvalue is not None:
            config["clipvalue"] = self.clipvalue
        return {**config, **self._hyper_config()}

    def _hyper_config(self) -> dict:
        """The optimizer's own hyper-parameters, by their constructor names."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


def check_fraction(optimizer: str, label: str, value: float) -> float:
    """A decay rate such as beta_1 or rho: a number in [0, 1)."""
    if not 0 <= value < 1:
        raise ValueError(f"{optimizer}'s {label} must be in [0, 1), got {value!r}")
    return float(value)


def check_epsilon(optimizer: str, epsilon: float | None) -> float:
    """Keras 2's epsilon=None means K.epsilon() (1e-7)."""
    if epsilon is None:
        return K.epsilon()
    if not epsilon >= 0:
        raise ValueError(f"{optimizer}'s epsilon must be >= 0, got {epsilon!r}")
    return float(epsilon)
