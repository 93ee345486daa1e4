"""mg.gfile against TF's tf.compat.v1.gfile: one scenario of file operations is played
with each library in its own directory, and both must observe the same things (and
fail at the same steps)."""

import os

import tensorflow as tf

import minigraph as mg


def scenario(gfile, root: str) -> list:
    """Plays TF1's gfile calls in `root`; returns what each step observed ('error' when it raised)."""
    seen = []

    def step(label, call):
        try:
            result = call()
        except Exception:  # noqa: BLE001  (TF raises its own errors, minigraph Python's: both count as 'error')
            result = "error"
        seen.append((label, result))

    path = lambda *parts: os.path.join(root, *parts)  # noqa: E731
    step("exists before", lambda: gfile.Exists(path("logs")))
    step("makedirs", lambda: gfile.MakeDirs(path("logs", "run1")))
    step("makedirs again is fine", lambda: gfile.MakeDirs(path("logs", "run1")))
    step("mkdir existing", lambda: gfile.MkDir(path("logs")))
    step("mkdir without parent", lambda: gfile.MkDir(path("a", "b")))
    step("mkdir", lambda: gfile.MkDir(path("logs", "run2")))
    step("isdir", lambda: (gfile.IsDirectory(path("logs")), gfile.IsDirectory(path("nothing"))))

    def write(name, text, mode="w"):
        with gfile.GFile(path(name), mode) as f:
            f.write(text)

    step("write", lambda: write("logs/notes.txt", "line one\nline two\n"))
    step("append", lambda: write("logs/notes.txt", "line three\n", "a"))

    def read(name, mode="r"):
        with gfile.Open(path(name), mode) as f:
            return f.read()

    step("read", lambda: read("logs/notes.txt"))
    step("read bytes", lambda: read("logs/notes.txt", "rb"))
    step("size", lambda: gfile.GFile(path("logs/notes.txt")).size())

    def lines(name):
        with gfile.GFile(path(name)) as f:
            return [line for line in f]

    step("iterate lines", lambda: lines("logs/notes.txt"))
    step("readline", lambda: gfile.GFile(path("logs/notes.txt")).readline())
    step("read missing", lambda: read("logs/missing.txt"))
    step("list", lambda: sorted(gfile.ListDirectory(path("logs"))))
    step("list missing", lambda: gfile.ListDirectory(path("nothing")))
    step("glob", lambda: sorted(os.path.relpath(p, root) for p in gfile.Glob(path("logs", "*.txt"))))
    step("copy", lambda: gfile.Copy(path("logs/notes.txt"), path("logs/copy.txt")))
    step("copy over", lambda: gfile.Copy(path("logs/notes.txt"), path("logs/copy.txt")))
    step("copy overwrite", lambda: gfile.Copy(path("logs/notes.txt"), path("logs/copy.txt"), overwrite=True))
    step("rename over", lambda: gfile.Rename(path("logs/copy.txt"), path("logs/notes.txt")))
    step("rename", lambda: gfile.Rename(path("logs/copy.txt"), path("logs/moved.txt")))
    step("rename overwrite", lambda: gfile.Rename(path("logs/moved.txt"), path("logs/notes.txt"), overwrite=True))
    step("stat", lambda: (gfile.Stat(path("logs/notes.txt")).length, gfile.Stat(path("logs")).is_directory))
    step("walk", lambda: [(os.path.relpath(d, root), sorted(s), sorted(f)) for d, s, f in gfile.Walk(path("logs"))])
    step("remove", lambda: gfile.Remove(path("logs/notes.txt")))
    step("remove missing", lambda: gfile.Remove(path("logs/notes.txt")))
    step("delete tree", lambda: gfile.DeleteRecursively(path("logs")))
    step("exists after", lambda: gfile.Exists(path("logs")))
    step("delete missing", lambda: gfile.DeleteRecursively(path("logs")))
    return seen


def test_scenario_matches_tensorflow(tmp_path):
    (tmp_path / "mg").mkdir()
    (tmp_path / "tf").mkdir()
    ours = scenario(mg.gfile, str(tmp_path / "mg"))
    theirs = scenario(tf.compat.v1.gfile, str(tmp_path / "tf"))
    for (label, mine), (_, reference) in zip(ours, theirs):
        assert mine == reference, label
    assert len(ours) == len(theirs)
    # and the scenario saw real things happen, not a run of errors
    observed = dict(ours)
    assert observed["read"] == "line one\nline two\nline three\n"
    assert observed["read bytes"] == b"line one\nline two\nline three\n"
    assert observed["list"] == ["notes.txt", "run1", "run2"]
    assert observed["copy over"] == "error" and observed["copy overwrite"] is None


def test_errors_are_pythons_and_quote_the_path(tmp_path):
    missing = str(tmp_path / "missing.txt")
    try:
        mg.gfile.Remove(missing)
    except FileNotFoundError as error:
        assert missing in str(error)
    else:
        raise AssertionError("Remove of a missing file must raise")
    (tmp_path / "a.txt").write_text("a")
    try:
        mg.gfile.Copy(str(tmp_path / "a.txt"), str(tmp_path / "a.txt"))
    except FileExistsError as error:
        assert "pass overwrite=True" in str(error)
    else:
        raise AssertionError("Copy onto an existing file must raise")
