"""minigraph.collector: Python's cyclic collector is off inside paused(), as it was after."""

import gc
import importlib

import pytest

import minigraph as mg
from minigraph import collector
from minigraph.passes import program


def test_paused_turns_the_collector_off_and_back_on():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_paused_leaves_a_disabled_collector_disabled_and_survives_errors():
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
    with pytest.raises(ZeroDivisionError):
        with collector.paused():
            1 / 0
    assert gc.isenabled()


def test_a_plan_is_made_with_the_collector_paused(monkeypatch):
    seen = []
    build = program.build_program

    def spying(*arguments):
        seen.append(gc.isenabled())
        return build(*arguments)

    monkeypatch.setattr("minigraph.session.build_program", spying)
    with mg.Graph().as_default():
        x = mg.placeholder(mg.float32, ())
        assert mg.Session().run(x * 2.0, {x: 3.0}) == 6.0
    assert seen == [False] and gc.isenabled()


def test_gradients_are_built_with_the_collector_paused(monkeypatch):
    gradients_module = importlib.import_module("minigraph.gradients")  # mg.gradients is the function
    seen = []
    ops_between = gradients_module._ops_between

    def spying(*arguments):
        seen.append(gc.isenabled())
        return ops_between(*arguments)

    monkeypatch.setattr(gradients_module, "_ops_between", spying)
    with mg.Graph().as_default():
        x = mg.placeholder(mg.float32, ())
        (grad,) = mg.gradients(x * x, [x])
        assert mg.Session().run(grad, {x: 3.0}) == 6.0
    assert seen == [False] and gc.isenabled()
