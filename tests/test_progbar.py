"""The progress display (minigraph/keras/progbar.py and callbacks/progbar_logger.py).

Three ways of looking at it: the finished lines against Keras 2's own Progbar
(tf_keras) fed the same values; what fit prints into a pipe; and what a real
terminal shows, read back from a pseudo-terminal of 40, 80 and 200 columns through a
terminal emulator (pyte), redraws, cursor moves and all.
"""

import os
import pty
import re
import struct
import subprocess
import sys
import textwrap
from fcntl import ioctl
from termios import TIOCSWINSZ

import pytest

from minigraph.keras.progbar import Progbar, format_duration, format_eta, format_value
from support.callbacks import small_model

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMES = re.compile(r"\d+s \d+(?:us|ms|s)/step|\d+(?:us|ms|s)/(?:epoch|step)|- \d+s")

# batches of 32, 32, 32 and 4 samples, each with its loss, accuracy and a value shown as is
STEPS = [(32, 2.0, 0.1, 0.032), (32, 1.0, 0.5, 0.064), (32, 0.5, 0.75, 0.096), (4, 0.25, 1.0, 0.004)]


def drive(progbar_class, verbose: int) -> str:
    """Everything a Progbar of 100 samples prints for STEPS, with the run times masked."""
    progbar = progbar_class(100, verbose=verbose, stateful_metrics=["lr"])
    for size, loss, accuracy, lr in STEPS:
        progbar.add(size, [("loss", loss), ("accuracy", accuracy), ("lr", lr), ("tiny", 1e-5)])
    return progbar


def finished_line(out: str) -> str:
    """The last status a terminal would show: what follows the last \\r, \\b removed."""
    return TIMES.sub("T", out.replace("\b", "").split("\r")[-1])


@pytest.mark.parametrize("verbose", [1, 2])
def test_the_finished_line_is_keras_2s(verbose, capsys):
    from tf_keras.utils import Progbar as Keras2Progbar

    drive(Keras2Progbar, verbose)
    theirs = finished_line(capsys.readouterr().out)
    drive(Progbar, verbose)
    ours = capsys.readouterr().out
    assert "\r" not in ours and "\b" not in ours  # not a terminal: the finished line only
    assert TIMES.sub("T", ours) == theirs
    # samples weigh each value: loss (32*2 + 32*1 + 32*0.5 + 4*0.25) / 100 = 1.13; lr as given
    assert " - loss: 1.1300 - accuracy: 0.4720 - lr: 0.0040 - tiny: 1.0000e-05" in ours


def test_times_and_values_are_written_as_keras_writes_them():
    assert [format_eta(s) for s in (5, 59.9, 125, 3725)] == ["5s", "59s", "2:05", "1:02:05"]
    assert [format_duration(s, "step") for s in (0, 2.4, 0.023, 0.000732)] == ["0s/step", "2s/step", "23ms/step",
                                                                               "732us/step"]
    assert [format_value(v) for v in (0.25, -1.5, 1e-5, 0.0, float("nan"))] == [
        "0.2500", "-1.5000", "1.0000e-05", "0.0000e+00", "nan"]


def test_a_bar_of_unknown_length_counts_and_finishes_when_told(capsys):
    progbar = Progbar(None)
    progbar.update(5, [("loss", 1.0)])
    progbar.update(7, [("loss", 2.0)], finalize=True)
    out = capsys.readouterr().out
    # weights 5 and 2: (5*1 + 2*2) / 7
    assert re.fullmatch(r"      7/Unknown - \d+s \d+(us|ms|s)/step - loss: 1\.2857\n", out), out


# --- the layout: every number, at any width ---------------------------------------------
PIECES = [" - ETA: 3s", " - loss: 1.2899", " - accuracy: 0.3389", " - val_loss: 1.1996", " - val_accuracy: 0.3516"]


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_the_bar_gives_way_and_no_number_is_cut(columns):
    progbar = Progbar(1563)
    rows = progbar.layout("13/1563", lambda width: progbar._bar(13, width), PIECES, columns)
    assert all(len(row) < columns for row in rows), rows
    text = "".join(rows)
    for piece in PIECES:
        assert piece in text  # whole: never split between rows
    bar = re.search(r"\[([=>.]*)\]", rows[0])
    if columns == 200:
        assert len(rows) == 1 and len(bar.group(1)) == 30  # room for all: Keras's own line
    else:
        assert len(rows) > 1 and 10 <= len(bar.group(1)) <= 30


def test_at_80_columns_a_training_status_fits_one_row_with_a_shorter_bar():
    progbar = Progbar(1563)
    pieces = PIECES[:3]  # while training: the ETA, loss and accuracy
    rows = progbar.layout("1500/1563", lambda width: progbar._bar(1500, width), pieces, 80)
    assert len(rows) == 1 and len(rows[0]) == 79
    assert rows[0].startswith("1500/1563 [") and rows[0].endswith(" - ETA: 3s - loss: 1.2899 - accuracy: 0.3389")


# --- a real terminal --------------------------------------------------------------------
def run_in_terminal(code: str, columns: int, rows: int = 40) -> tuple[str, list[str]]:
    """Runs `code` in a fresh Python attached to a pseudo-terminal of that size; returns
    what it wrote and the screen a terminal shows at the end (pyte draws it)."""
    pyte = pytest.importorskip("pyte")
    main_fd, child_fd = pty.openpty()
    ioctl(child_fd, TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdin=child_fd, stdout=child_fd,
                               stderr=child_fd, env=env, cwd=REPO)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert process.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    written = b"".join(chunks).decode()
    screen = pyte.Screen(columns, rows)
    pyte.Stream(screen).feed(written.replace("\n", "\r\n"))  # the pty's own newline translation, once more
    return written, [line.rstrip() for line in screen.display if line.strip()]


PROGBAR_RUN = """
    import sys
    from minigraph.keras.progbar import Progbar
    bar = Progbar(16, interval=0)
    for step in range(1, 17):
        values = [("loss", 1.0 / step), ("accuracy", step / 16)]
        if step == 16:  # the epoch's end brings the validation numbers, and other callbacks' words
            values += [("val_loss", 0.5), ("val_accuracy", 0.75)]
            if "--message" in sys.argv:
                print("\\nEpoch 1: saving model to model.keras")
        bar.update(step, values)
    print("done")
"""


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_in_a_terminal_the_bar_redraws_in_place_and_shows_every_metric(columns):
    written, screen = run_in_terminal(PROGBAR_RUN, columns)
    assert written.count("\r") >= 16  # redrawn at every step (interval=0)
    statuses = [line for line in screen if re.match(r"\d+/16 ", line)]
    # each redraw landed on the one before; where the status takes several rows, the last
    # step's rows stay above the finished ones (the finished status never moves up)
    assert len(statuses) == (2 if columns == 40 else 1) and statuses[-1].startswith("16/16 "), screen
    shown = "".join(screen)
    for name, value in [("loss", "0.2113"), ("accuracy", "0.5312"), ("val_loss", "0.5000"),
                        ("val_accuracy", "0.7500")]:
        assert re.search(rf"(^| ){name}: {value}", shown), screen
    assert all(len(line) < columns for line in screen)
    assert screen[-1] == "done"
    if columns == 200:
        assert re.fullmatch(r"16/16 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: 0\.2113 - accuracy: 0\.5312 - "
                            r"val_loss: 0\.5000 - val_accuracy: 0\.7500", screen[0]), screen


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_what_another_callback_prints_before_the_finished_line_stays_on_screen(columns):
    _, screen = run_in_terminal(PROGBAR_RUN.replace('"--message" in sys.argv', "True"), columns)
    assert "Epoch 1: saving model to model.keras" in screen, screen
    message = screen.index("Epoch 1: saving model to model.keras")
    assert screen[message + 1].startswith("16/16 [") and screen[-1] == "done"


def test_fit_in_an_80_column_terminal_shows_the_validation_numbers():
    _, screen = run_in_terminal("""
        import numpy as np
        from minigraph.keras.layers import Dense
        from minigraph.keras.models import Sequential
        rng = np.random.default_rng(0)
        x = rng.normal(size=(200, 8)).astype("float32")
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 200)]
        model = Sequential([Dense(16, activation="relu", input_shape=(8,)), Dense(3, activation="softmax")])
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, batch_size=16, epochs=2, validation_split=0.2, verbose=1)
    """, columns=80)
    epochs = [i for i, line in enumerate(screen) if re.fullmatch(r"Epoch [12]/2", line)]
    assert len(epochs) == 2, screen
    for start in epochs:
        status = "".join(screen[start + 1:start + 3])  # a continued row starts " - "
        assert re.match(r"10/10 \[=+\] - \d+s \d+(us|ms|s)/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}", status)
        assert re.search(r"- val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}", status), screen


# --- fit, evaluate and predict into a pipe ------------------------------------------------
STATUS = r" - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}"
STEP_TIME = r"\d+(?:us|ms|s)/step"
# each epoch's line: verbose=1 the finished bar, verbose=2 Keras 2's one-line summary
EPOCH_LINE = {1: rf"3/3 \[={{30}}\] - \d+s {STEP_TIME}{STATUS}",
              2: rf"3/3 - \d+s{STATUS} - \d+(?:us|ms|s)/epoch - {STEP_TIME}"}


@pytest.mark.parametrize("verbose", [1, 2])
def test_fit_into_a_pipe_writes_one_line_per_epoch(verbose, capsys):
    model, x, y = small_model(rows=100)
    model.fit(x, y, epochs=2, batch_size=32, validation_split=0.2, verbose=verbose)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1::2] == ["Epoch 1/2", "Epoch 2/2"]
    for line in lines[2::2]:
        assert re.fullmatch(EPOCH_LINE[verbose], line), line


def test_one_epoch_prints_no_epoch_line_as_keras_2(capsys):
    model, x, y = small_model(rows=100)
    model.fit(x, y, epochs=1, batch_size=50, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch" not in out
    assert re.search(rf"^2/2 \[={{30}}\] - \d+s {STEP_TIME} - loss: \d\.\d{{4}} - accuracy: \d\.\d{{4}}$", out, re.M)


def test_evaluate_and_predict_show_bars(capsys):
    model, x, y = small_model(rows=100)
    model.evaluate(x, y, batch_size=25, verbose=1)
    model.predict(x, batch_size=25, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"4/4 \[={{30}}\] - \d+s {STEP_TIME} - loss: \d\.\d{{4}} - accuracy: \d\.\d{{4}}", lines[0])
    assert re.fullmatch(rf"4/4 \[={{30}}\] - \d+s {STEP_TIME}", lines[1])


def test_in_jupyter_the_bar_redraws_with_carriage_returns_only():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    code = f"import sys; sys.path.insert(0, {REPO!r})\n" + textwrap.dedent(PROGBAR_RUN)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    text = "".join(output.get("text", "") for output in notebook.cells[0].outputs)
    assert text.count("\r") == 16 and "\x1b" not in text  # Jupyter understands \r, not cursor moves
    finished = text.split("\n")[0].split("\r")[-1]  # what the output area shows: the last redraw
    assert re.fullmatch(r"16/16 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: 0\.2113 - accuracy: 0\.5312 - "
                        r"val_loss: 0\.5000 - val_accuracy: 0\.7500", finished), text


def test_keras_2_programs_find_the_bar_in_utils():
    from minigraph.keras import utils

    assert utils.Progbar is Progbar
