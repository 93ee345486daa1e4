"""mg.train.Saver (minigraph/train/saver.py): checkpoints round-trip, TF1's names and
max_to_keep bookkeeping (next to tf.compat.v1.train.Saver), files written atomically
(a process killed between write and rename keeps the old checkpoint), and restores
that refuse a checkpoint which does not fit and then change nothing."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minigraph as mg
from minigraph.errors import FailedPreconditionError, InvalidArgumentError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_model(w_shape=(2, 3), seed=0):
    """A graph with two variables 'w' and 'b' and a session in which they are initialized."""
    graph = mg.Graph()
    rng = np.random.default_rng(seed)
    with graph.as_default():
        w = mg.Variable(rng.normal(size=w_shape).astype(np.float32), name="w")
        b = mg.Variable(np.zeros(w_shape[-1], np.float32), name="b")
        session = mg.Session(graph)
        session.run(mg.global_variables_initializer())
    return graph, session, w, b


def values(session, *variables):
    return [session.variable_value(v) for v in variables]


def test_save_then_restore_into_another_session(tmp_path):
    graph, session, w, b = small_model(seed=0)
    session.run(b.assign([1.0, 2.0, 3.0]))
    with graph.as_default():
        saver = mg.train.Saver()
    path = saver.save(session, str(tmp_path / "model"))
    assert path == str(tmp_path / "model")  # TF's prefix, without a step
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.npz"]  # no temporary file left behind
    with np.load(path + ".npz", allow_pickle=False) as archive:  # plain arrays, named by the variables
        assert sorted(archive.files) == ["b", "w"]
        np.testing.assert_array_equal(archive["b"], [1.0, 2.0, 3.0])
        assert archive["w"].dtype == np.float32

    other = mg.Session(graph)  # a new session: its variables are not even initialized
    assert not other.is_initialized(w)
    saver.restore(other, path)
    for saved, restored in zip(values(session, w, b), values(other, w, b)):
        np.testing.assert_array_equal(saved, restored)
    saver.restore(other, path + ".npz")  # the file's own name works too


def test_global_step_names_the_file_as_tf1_does(tmp_path):
    graph, session, w, b = small_model()
    with graph.as_default():
        step = mg.Variable(7, name="global_step", trainable=False)
        saver = mg.train.Saver([w, b])
    session.run(step.initializer)
    assert saver.save(session, str(tmp_path / "model.ckpt"), global_step=100) == str(tmp_path / "model.ckpt-100")
    assert saver.save(session, str(tmp_path / "model.ckpt"), global_step=np.int64(200)).endswith("model.ckpt-200")
    assert saver.save(session, str(tmp_path / "model.ckpt"), global_step=step).endswith("model.ckpt-7")
    assert mg.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model.ckpt-7")


def test_max_to_keep_and_the_state_file_next_to_tensorflow(tmp_path):
    """Four saves with max_to_keep=2, in TF1 and in minigraph: the same checkpoints survive,
    and TF's own reader understands minigraph's `checkpoint` file."""
    import tensorflow as tf

    v1 = tf.compat.v1
    theirs_dir, ours_dir = tmp_path / "tf", tmp_path / "mg"
    theirs_dir.mkdir()
    ours_dir.mkdir()
    with tf.Graph().as_default():
        v1.Variable([1.0, 2.0], name="w")
        saver = v1.train.Saver(max_to_keep=2, save_relative_paths=True)
        with v1.Session() as tf_session:
            tf_session.run(v1.global_variables_initializer())
            theirs = [saver.save(tf_session, str(theirs_dir / "model"), global_step=s, write_meta_graph=False)
                      for s in (1, 2, 3, 2)]  # saving step 2 again makes it the newest
        their_kept = [os.path.basename(p) for p in saver.last_checkpoints]
    graph, session, w, b = small_model()
    with graph.as_default():
        saver = mg.train.Saver(max_to_keep=2)
    ours = [saver.save(session, str(ours_dir / "model"), global_step=s) for s in (1, 2, 3, 2)]

    assert [os.path.basename(p) for p in ours] == [os.path.basename(p) for p in theirs]
    assert [os.path.basename(p) for p in saver.last_checkpoints] == their_kept == ["model-3", "model-2"]
    assert sorted(os.listdir(ours_dir)) == ["checkpoint", "model-2.npz", "model-3.npz"]  # model-1 deleted
    assert (ours_dir / "checkpoint").read_text() == (
        'model_checkpoint_path: "model-2"\n'
        'all_model_checkpoint_paths: "model-3"\n'
        'all_model_checkpoint_paths: "model-2"\n'
    )
    state = mg.train.get_checkpoint_state(str(ours_dir))
    their_reading = tf.train.get_checkpoint_state(str(ours_dir))  # TF parses minigraph's state file
    assert their_reading.model_checkpoint_path == state.model_checkpoint_path == str(ours_dir / "model-2")
    assert list(their_reading.all_model_checkpoint_paths) == state.all_model_checkpoint_paths
    assert mg.train.latest_checkpoint(str(ours_dir)) == str(ours_dir / "model-2")


def test_max_to_keep_none_keeps_every_file(tmp_path):
    graph, session, w, b = small_model()
    with graph.as_default():
        saver = mg.train.Saver(max_to_keep=None)
    for step in range(4):
        saver.save(session, str(tmp_path / "model"), global_step=step)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint"] + [f"model-{s}.npz" for s in range(4)]
    assert mg.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model-3")


def test_no_checkpoint_yet():
    assert mg.train.latest_checkpoint("/nonexistent/dir") is None
    assert mg.train.get_checkpoint_state("/nonexistent/dir") is None


def test_a_dict_names_the_entries_and_restores_a_subset(tmp_path):
    graph, session, w, b = small_model(seed=1)
    with graph.as_default():
        path = mg.train.Saver({"layer/weights": w, "layer/bias": b}).save(session, str(tmp_path / "named"))
    with np.load(path + ".npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["layer/bias", "layer/weights"]
    # another program, other variable names: the dict maps them; it restores only the weights
    other_graph, other_session, other_w, other_b = small_model(seed=2)
    b_before = other_session.variable_value(other_b)
    with other_graph.as_default():
        mg.train.Saver({"layer/weights": other_w}).restore(other_session, path)
    np.testing.assert_array_equal(other_session.variable_value(other_w), session.variable_value(w))
    np.testing.assert_array_equal(other_session.variable_value(other_b), b_before)


def test_a_variable_named_file_is_saved(tmp_path):
    """np.savez takes names as keyword arguments, where 'file' collides with its own; the
    Saver writes the archive itself."""
    graph = mg.Graph()
    with graph.as_default():
        variable = mg.Variable([1.0, 2.0], name="file")
        session = mg.Session()
        session.run(variable.initializer)
        saver = mg.train.Saver()
    saver.restore(session, saver.save(session, str(tmp_path / "x")))
    assert session.variable_value(variable).tolist() == [1.0, 2.0]


def test_refuses_a_checkpoint_that_does_not_fit_and_changes_nothing(tmp_path):
    graph, session, w, b = small_model(w_shape=(2, 3))
    with graph.as_default():
        path = mg.train.Saver().save(session, str(tmp_path / "model"))
    # same names, but 'w' is (2, 4) here; 'b' is (4,) too
    other_graph, other_session, other_w, other_b = small_model(w_shape=(2, 4), seed=5)
    with other_graph.as_default():
        extra = mg.Variable(np.ones(2, np.float32), name="extra")
        other_session.run(extra.initializer)
        saver = mg.train.Saver()
    before = values(other_session, other_w, other_b, extra)
    with pytest.raises(InvalidArgumentError) as refused:
        saver.restore(other_session, path)
    message = str(refused.value)
    assert f"Restoring from checkpoint {path} failed and changed no variable" in message
    assert "variable 'w' expects shape (2, 4) but the checkpoint holds shape (2, 3)" in message
    assert "variable 'b' expects shape (4,) but the checkpoint holds shape (3,)" in message
    assert "variable 'extra' (shape (2,)) is not in the checkpoint" in message
    assert "The checkpoint holds: b, w" in message
    for old, now in zip(before, values(other_session, other_w, other_b, extra)):
        np.testing.assert_array_equal(old, now)


def test_one_misfit_stops_the_variables_that_fit(tmp_path):
    """All or nothing: 'b' fits, 'w' does not; 'b' keeps its value."""
    graph, session, w, b = small_model()
    with graph.as_default():
        path = mg.train.Saver({"w": w, "b": b}).save(session, str(tmp_path / "model"))
    other_graph, other_session, _, other_b = small_model(seed=3)
    with other_graph.as_default():
        wide = mg.Variable(np.zeros((2, 4), np.float32), name="wide")
        saver = mg.train.Saver({"b": other_b, "w": wide})
    other_session.run([other_b.assign([5.0, 6.0, 7.0]), wide.initializer])
    with pytest.raises(InvalidArgumentError, match=r"variable 'w' expects shape \(2, 4\) but the checkpoint holds"):
        saver.restore(other_session, path)
    assert other_session.variable_value(other_b).tolist() == [5.0, 6.0, 7.0]


def test_refuses_another_dtype(tmp_path):
    graph = mg.Graph()
    with graph.as_default():
        v = mg.Variable(np.zeros(3, np.float64), name="v")
        session = mg.Session()
        session.run(v.initializer)
        path = mg.train.Saver().save(session, str(tmp_path / "double"))
    _, other_session, _, b = small_model()
    with pytest.raises(InvalidArgumentError, match="variable 'v' expects dtype float32 but the checkpoint holds "
                                                   "dtype float64"):
        mg.train.Saver({"v": b}).restore(other_session, path)


def test_refusals_before_any_file_is_written(tmp_path):
    graph = mg.Graph()
    with graph.as_default():
        with pytest.raises(ValueError, match="No variables to save"):
            mg.train.Saver()
        v = mg.Variable([1.0], name="v")
        t = v + 1.0
        with pytest.raises(TypeError, match=r"Saver can only save variables; Tensor\(\"add:0\""):
            mg.train.Saver([v, t])
        saver = mg.train.Saver()
    session = mg.Session(graph)
    with pytest.raises(FailedPreconditionError, match="uninitialized value v"):
        saver.save(session, str(tmp_path / "model"))
    with pytest.raises(ValueError, match="Parent directory of .*missing/model doesn't exist, can't save"):
        saver.save(session, str(tmp_path / "missing" / "model"))
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="The passed save_path is not a valid checkpoint: .*nothing"):
        saver.restore(session, str(tmp_path / "nothing"))
    with pytest.raises(ValueError, match="did latest_checkpoint find no checkpoint"):
        saver.restore(session, mg.train.latest_checkpoint(str(tmp_path)))


def test_a_damaged_or_pickled_file_is_refused(tmp_path):
    graph, session, w, b = small_model()
    with graph.as_default():
        saver = mg.train.Saver()
    (tmp_path / "torn.npz").write_bytes(b"PK\x03\x04 only the start of a zip")
    with pytest.raises(ValueError, match="torn.npz is not a readable checkpoint"):
        saver.restore(session, str(tmp_path / "torn"))
    np.savez(tmp_path / "pickled.npz", w=np.array([object()], dtype=object))  # opening it would unpickle
    with pytest.raises(ValueError, match="pickled.npz is not a readable checkpoint: Object arrays cannot be loaded"):
        saver.restore(session, str(tmp_path / "pickled"))


# A program that saves step 1, then saves step 2 but dies (os._exit: no cleanup, no
# exception handlers, like a power cut or a kill -9) just as rename number CRASH_AT is
# about to make the new file visible: 1 is the checkpoint's, 2 the state file's.
CRASHING_PROGRAM = textwrap.dedent("""
    import os, sys
    import minigraph as mg

    directory, crash_at = sys.argv[1], int(sys.argv[2])
    v = mg.Variable([1.0, 2.0], name="v")
    session = mg.Session()
    session.run(v.initializer)
    saver = mg.train.Saver()
    saver.save(session, os.path.join(directory, "model"), global_step=1)
    session.run(v.assign([10.0, 20.0]))

    renames, real_replace = [], os.replace
    def replace_then_die(source, destination):
        renames.append(destination)
        if len(renames) == crash_at:
            os._exit(3)
        real_replace(source, destination)
    os.replace = replace_then_die
    saver.save(session, os.path.join(directory, "model"), global_step=1)  # the same name: overwrites
    saver.save(session, os.path.join(directory, "model"), global_step=2)
""")


@pytest.mark.parametrize("crash_at", [1, 2, 4], ids=["before-checkpoint-rename", "before-state-rename",
                                                     "before-second-checkpoints-state-rename"])
def test_a_crash_between_write_and_rename_keeps_the_old_checkpoint(tmp_path, crash_at):
    result = subprocess.run([sys.executable, "-c", CRASHING_PROGRAM, str(tmp_path), str(crash_at)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr  # it died where it was meant to
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(leftovers) == 1  # the new bytes were written, under a temporary name only

    latest = mg.train.latest_checkpoint(str(tmp_path))
    graph = mg.Graph()
    with graph.as_default():
        v = mg.Variable([0.0, 0.0], name="v")
        saver = mg.train.Saver()
    session = mg.Session(graph)
    saver.restore(session, latest)  # whatever the state file names is whole
    if crash_at == 1:  # the overwrite never happened: step 1 holds the old values
        assert latest == str(tmp_path / "model-1")
        assert session.variable_value(v).tolist() == [1.0, 2.0]
    else:  # model-1 was replaced whole; model-2's state never got written
        assert latest == str(tmp_path / "model-1")
        assert session.variable_value(v).tolist() == [10.0, 20.0]
    assert (crash_at == 4) == os.path.exists(tmp_path / "model-2.npz")
