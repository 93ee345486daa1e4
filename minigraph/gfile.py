"""``mg.gfile``: TF1's ``tf.gfile`` file functions, on the local file system.

TF's gfile speaks to many file systems (local disk, Google Cloud Storage, HDFS)
through one set of names, which is why TF1 programs use it even for local files:
``tf.gfile.Exists(log_dir)``, ``tf.gfile.MakeDirs(log_dir)``. minigraph runs on one
machine, so each name here is the Python standard-library call it stands for
(``os``, ``shutil``, ``glob``), under TF1's name and with TF1's rules:

- ``MkDir`` makes one directory (its parent must exist), ``MakeDirs`` every missing
  level; neither minds a directory that exists already;
- ``Copy`` and ``Rename`` refuse to replace a file unless ``overwrite=True``;
- ``DeleteRecursively`` removes a directory tree (or a single file).

A missing file raises Python's ``FileNotFoundError`` and an existing one
``FileExistsError`` (TF raises its ``NotFoundError`` / ``AlreadyExistsError``);
Python's messages already quote the path.
"""

from __future__ import annotations

import glob as _glob
import os
import shutil
from typing import Iterator, NamedTuple

from minigraph import subset as _subset


class GFile:
    """An open file, as TF1's ``tf.gfile.GFile(name, mode)``: Python's file plus ``size()``.

    Text modes read and write UTF-8, as TF's do."""

    def __init__(self, name, mode: str = "r"):
        self.name = os.fspath(name)
        self.mode = mode
        encoding = None if "b" in mode else "utf-8"
        self._file = open(self.name, mode, encoding=encoding)

    def size(self) -> int:
        """The file's length in bytes."""
        if self._file.writable():  # what was written so far counts
            self._file.flush()
        return os.stat(self.name).st_size

    def __getattr__(self, name):  # read, write, readline, seek, tell, close, ...
        return getattr(self._file, name)

    def __iter__(self):
        return iter(self._file)

    def __enter__(self) -> "GFile":
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def __repr__(self) -> str:
        return f"<minigraph.gfile.GFile {self.name!r} mode={self.mode!r}>"


Open = GFile
FastGFile = GFile  # TF1's unbuffered variant; for local files the same thing


def Exists(filename) -> bool:
    return os.path.exists(filename)


def IsDirectory(dirname) -> bool:
    return os.path.isdir(dirname)


def MakeDirs(dirname) -> None:
    """Creates `dirname` and any missing parents; nothing to do if it exists."""
    os.makedirs(dirname, exist_ok=True)


def MkDir(dirname) -> None:
    """Creates one directory; its parent must exist. An existing directory is fine, as in TF."""
    try:
        os.mkdir(dirname)
    except FileExistsError:
        if not os.path.isdir(dirname):  # a file of that name is in the way
            raise


def ListDirectory(dirname) -> list[str]:
    """The names (not paths) of the entries in `dirname`, sorted (TF promises no order)."""
    if not os.path.isdir(dirname):
        raise FileNotFoundError(f"Could not find directory {os.fspath(dirname)!r}")
    return sorted(os.listdir(dirname))


def Glob(filename) -> list[str]:
    """The paths matching a pattern with `*`, `?` and `[...]`, sorted."""
    return sorted(_glob.glob(os.fspath(filename)))


def Remove(filename) -> None:
    """Deletes one file."""
    os.remove(filename)


def DeleteRecursively(dirname) -> None:
    """Deletes a directory and everything in it (or a single file)."""
    if os.path.isdir(dirname) and not os.path.islink(dirname):
        shutil.rmtree(dirname)
    else:
        os.remove(dirname)


def _refuse_to_replace(path, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{os.fspath(path)!r} exists; pass overwrite=True to replace it")


def Copy(oldpath, newpath, overwrite: bool = False) -> None:
    """Copies a file's bytes to `newpath`."""
    _refuse_to_replace(newpath, overwrite)
    shutil.copyfile(oldpath, newpath)


def Rename(oldname, newname, overwrite: bool = False) -> None:
    """Moves a file or directory to `newname`."""
    _refuse_to_replace(newname, overwrite)
    os.replace(oldname, newname)


class FileStatistics(NamedTuple):
    """What ``Stat`` reports, with TF's field names."""

    length: int
    mtime_nsec: int
    is_directory: bool


def Stat(filename) -> FileStatistics:
    status = os.stat(filename)
    return FileStatistics(status.st_size, status.st_mtime_ns, os.path.isdir(filename))


def Walk(top, in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:
    """(directory, subdirectory names, file names) for `top` and every directory under
    it; parents before children when `in_order`, else children first."""
    yield from os.walk(top, topdown=in_order)


__getattr__ = _subset.missing_names(__name__, "tf.gfile")
