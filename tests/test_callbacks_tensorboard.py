"""TensorBoard (minigraph/keras/callbacks/tensorboard.py): the event files a real fit
writes, read back by TensorBoard's own reader (EventAccumulator)."""

import numpy as np
import pytest

from minigraph.keras.callbacks import TensorBoard
from support.callbacks import small_model

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read_run(folder):
    run = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    run.Reload()
    return run


def curve(run, tag) -> tuple[list, list]:
    events = run.Scalars(tag)
    return [e.step for e in events], [e.value for e in events]


def test_tensorboard_reads_back_every_epochs_numbers_the_graph_and_histograms(tmp_path):
    model, x, y = small_model(rows=40)
    board = TensorBoard(log_dir=str(tmp_path), histogram_freq=1, update_freq="batch", write_steps_per_second=True)
    history = model.fit(x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0, callbacks=[board])

    train, validation = read_run(tmp_path / "train"), read_run(tmp_path / "validation")
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy", "epoch_steps_per_second",
                                            "batch_loss", "batch_accuracy"}
    for name in ("loss", "accuracy"):
        steps, values = curve(train, f"epoch_{name}")
        assert steps == [0, 1, 2]
        np.testing.assert_allclose(values, history.history[name], rtol=1e-6)  # stored as float32
        steps, values = curve(validation, f"epoch_{name}")
        np.testing.assert_allclose(values, history.history[f"val_{name}"], rtol=1e-6)
        assert curve(validation, f"evaluation_{name}_vs_iterations")[0] == [3, 6, 9]  # 3 batches an epoch
    assert curve(train, "batch_loss")[0] == list(range(1, 10))

    assert train.Graph() is not None  # the model's graph, for the graphs tab
    kernel = model.layers[0].kernel
    assert f"{kernel.op.name}_0/histogram" in train.Tags()["histograms"]
    last = train.Histograms(f"{kernel.op.name}_0/histogram")[-1].histogram_value
    weights = model.get_weights()[0]
    assert (last.num, last.min, last.max) == (weights.size, pytest.approx(weights.min()), pytest.approx(weights.max()))


def test_without_validation_no_validation_run_is_written(tmp_path):
    model, x, y = small_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[TensorBoard(log_dir=str(tmp_path), write_graph=False)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]
    assert read_run(tmp_path / "train").Tags()["graph"] is False  # write_graph=False


def test_what_tensorboard_cannot_do_here_is_said():
    with pytest.raises(NotImplementedError, match=r"TensorBoard\(write_images=True\) is not implemented"):
        TensorBoard(write_images=True)
    with pytest.raises(ValueError, match=r"Unrecognized arguments in `TensorBoard` Callback: \['histogram'\]"):
        TensorBoard(histogram=1)
    with pytest.warns(UserWarning, match=r"`batch_size` is ignored"):
        TensorBoard(batch_size=32)  # a Keras 1 argument Keras 2 still takes
