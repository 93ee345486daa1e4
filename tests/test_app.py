"""mg.app.run and mg.flags (TF1's tf.app.run and tf.app.flags): real scripts run in a
fresh Python, once with `import minigraph as tf` and once with TensorFlow's
tf.compat.v1, and both must print the same thing and exit with the same code."""

import os
import subprocess
import sys
import textwrap

import pytest

import minigraph as mg

# A TF1-style script; {import_line} makes it minigraph's or TensorFlow's.
FLAGS_SCRIPT = """
{import_line}
flags = tf.app.flags
flags.DEFINE_float("learning_rate", 0.01, "Initial learning rate.")
flags.DEFINE_integer("max_steps", 2000, "Number of steps to run trainer.")
flags.DEFINE_boolean("fake_data", False, "Use fake data for unit testing.")
flags.DEFINE_string("train_dir", "/tmp/data", "Where the data goes.")
FLAGS = flags.FLAGS


def main(argv):
    print(FLAGS.learning_rate, FLAGS.max_steps, FLAGS.fake_data, FLAGS.train_dir, argv[1:])
    return 3


if __name__ == "__main__":
    tf.app.run()
"""

# The argparse pattern of TF1's mnist_softmax.py: argparse takes its arguments, run() the rest.
ARGPARSE_SCRIPT = """
import argparse
import sys
{import_line}
FLAGS = None


def main(argv):
    print(FLAGS.data_dir, argv[1:])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data_dir", type=str, default="/tmp/input_data")
    FLAGS, unparsed = parser.parse_known_args()
    tf.app.run(main=main, argv=[sys.argv[0]] + unparsed)
"""

# Reading a flag with no app.run at all (a notebook): FLAGS parses sys.argv by itself.
NO_RUN_SCRIPT = """
{import_line}
tf.flags.DEFINE_integer("batch_size", 100, "Batch size.")
print(tf.flags.FLAGS.batch_size)
"""

IMPORTS = {
    "minigraph": "import minigraph as tf",
    "tensorflow": "import tensorflow.compat.v1 as tf",
}


def run_script(tmp_path, source: str, library: str, *args):
    script = tmp_path / f"{library}_script.py"
    script.write_text(textwrap.dedent(source.format(import_line=IMPORTS[library])))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path
    )
    return done.returncode, done.stdout


@pytest.mark.slow  # each TensorFlow run starts a Python that imports TensorFlow
@pytest.mark.parametrize(
    "source, args, expected",
    [
        (FLAGS_SCRIPT, [], "0.01 2000 False /tmp/data []\n"),
        (
            FLAGS_SCRIPT,
            ["--learning_rate", "0.5", "--max_steps=10", "--fake_data", "extra", "--unknown=1"],
            "0.5 10 True /tmp/data ['extra', '--unknown=1']\n",
        ),
        (FLAGS_SCRIPT, ["--nofake_data", "--train_dir", "here"], "0.01 2000 False here []\n"),
        (ARGPARSE_SCRIPT, ["--data_dir", "mnist", "--other"], "mnist ['--other']\n"),
    ],
    ids=["defaults", "flags and leftovers", "--noflag", "argparse then run"],
)
def test_run_and_flags_match_tensorflow(tmp_path, source, args, expected):
    ours = run_script(tmp_path, source, "minigraph", *args)
    theirs = run_script(tmp_path, source, "tensorflow", *args)
    assert ours == theirs
    assert ours[1] == expected
    assert ours[0] == (3 if source is FLAGS_SCRIPT else 0)  # main's return value is the exit code


@pytest.mark.slow
def test_flags_read_without_run_parse_the_command_line(tmp_path):
    """TF1 and minigraph both parse sys.argv when a flag is first read; minigraph skips
    arguments it does not know (a Jupyter kernel's -f) where TF1 stopped."""
    assert run_script(tmp_path, NO_RUN_SCRIPT, "minigraph", "--batch_size=7") == (0, "7\n")
    assert run_script(tmp_path, NO_RUN_SCRIPT, "tensorflow", "--batch_size=7") == (0, "7\n")
    assert run_script(tmp_path, NO_RUN_SCRIPT, "minigraph", "--batch_size=7", "-f", "kernel.json") == (0, "7\n")


def test_run_without_main_says_what_is_missing(tmp_path):
    script = tmp_path / "no_main.py"
    script.write_text("import minigraph as tf\ntf.app.run()\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "mg.app.run() found no `main` function in the script; pass run(main=...)" in done.stderr


def test_app_flags_is_flags():
    assert mg.app.flags is mg.flags
    assert mg.flags.DEFINE_string is __import__("absl.flags").flags.DEFINE_string


def test_flags_parse_on_first_read_but_not_on_pythons_probes():
    from absl import flags as absl_flags

    flag_values = absl_flags.FlagValues()
    absl_flags.DEFINE_integer("steps", 3, "How many steps.", flag_values=flag_values)
    wrapped = type(mg.flags.FLAGS)(flag_values)
    assert not hasattr(wrapped, "__wrapped__")  # inspect.unwrap asks this
    assert not flag_values.is_parsed()
    assert wrapped.steps == 3  # sys.argv (pytest's) was parsed, its unknown arguments skipped
    assert flag_values.is_parsed()
    assert wrapped(["prog", "--steps=5", "rest"]) == ["prog", "rest"] and wrapped.steps == 5
    assert "steps" in wrapped and wrapped["steps"].value == 5
