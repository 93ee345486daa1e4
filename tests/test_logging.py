"""mg.logging (TF1's tf.logging): levels, default verbosity and output format next to
TensorFlow's, in a fresh Python each (a program's first log call sets up the handler)."""

import logging
import os
import subprocess
import sys

import pytest
import tensorflow as tf

import minigraph as mg

PROGRAM = """
import {module} as tf
tf.logging.info("hidden: the default verbosity is WARN")
tf.logging.warn("step %d: careful", 1)
tf.logging.set_verbosity(tf.logging.INFO)
tf.logging.info("step %d", 2)
tf.logging.debug("hidden: below INFO")
tf.logging.error("bad %s", "news")
print(tf.logging.get_verbosity())
"""


def run(module: str):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(module=module)], capture_output=True, text=True, env=env, timeout=300
    )
    # TF itself may print its own start-up warnings; keep only the program's lines
    lines = [line for line in done.stderr.splitlines() if ":tensorflow:" in line or ":minigraph:" in line]
    return done.stdout, lines


@pytest.mark.slow  # the TensorFlow run imports TensorFlow in a new Python
def test_output_matches_tensorflow():
    ours, theirs = run("minigraph"), run("tensorflow.compat.v1")
    assert ours[0] == theirs[0] == "20\n"
    assert ours[1] == [line.replace(":tensorflow:", ":minigraph:") for line in theirs[1]]
    assert ours[1] == ["WARNING:minigraph:step 1: careful", "INFO:minigraph:step 2", "ERROR:minigraph:bad news"]


def test_levels_are_tensorflows():
    ours = [mg.logging.DEBUG, mg.logging.INFO, mg.logging.WARN, mg.logging.ERROR, mg.logging.FATAL]
    v1 = tf.compat.v1.logging
    assert ours == [v1.DEBUG, v1.INFO, v1.WARN, v1.ERROR, v1.FATAL] == [10, 20, 30, 40, 50]


@pytest.fixture
def info_level():
    saved = mg.logging.get_logger().level
    mg.logging.set_verbosity(mg.logging.INFO)
    yield
    mg.logging.get_logger().setLevel(saved)


def test_log_every_n_and_first_n_count_per_line(caplog, info_level):
    with caplog.at_level(logging.INFO, logger="minigraph"):
        for i in range(10):
            mg.logging.log_every_n(mg.logging.INFO, "every %d", 3, i)
            mg.logging.log_first_n(mg.logging.INFO, "first %d", 2, i)
    messages = [record.getMessage() for record in caplog.records]
    assert [m for m in messages if m.startswith("every")] == ["every 0", "every 3", "every 6", "every 9"]
    assert [m for m in messages if m.startswith("first")] == ["first 0", "first 1"]


def test_log_if_and_vlog(caplog, info_level):
    with caplog.at_level(logging.INFO, logger="minigraph"):
        mg.logging.log_if(mg.logging.INFO, "yes", True)
        mg.logging.log_if(mg.logging.INFO, "no", False)
        mg.logging.vlog(mg.logging.ERROR, "loud %s", "!")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("INFO", "yes"), ("ERROR", "loud !")]
