"""stdout's failed writes (a full disk or device: `> /dev/full`) told apart from a command's
own (the archive, an export's file), which say what failed themselves."""

from __future__ import annotations

import io
import os
import sys
from typing import Any

import click


class OutputError(OSError):
    """A write to stdout failed (a full disk or device: `> /dev/full`), told apart from the
    command's own writes (the archive, an export's file), which say what failed themselves."""


class StdoutFile(io.FileIO):
    """stdout's file descriptor, whose failed writes raise OutputError; a closed pipe's stays
    the BrokenPipeError that ends a command quietly."""

    def write(self, data: Any) -> int | None:
        try:
            return super().write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc.errno, exc.strerror) from exc


def watch_stdout() -> None:
    """sys.stdout rebuilt over StdoutFile, as it was (encoding, errors, buffering); left as it
    is when a caller replaced it (a test's capture) or there is none (`>&-`). The stream it
    replaces stays sys.__stdout__, which keeps the file descriptor open."""
    stream = sys.stdout
    if type(stream) is not io.TextIOWrapper:
        return
    buffered = type(stream.buffer) is io.BufferedWriter  # not when unbuffered (python -u)
    if type(stream.buffer.raw if buffered else stream.buffer) is not io.FileIO:
        return
    stream.flush()
    raw = StdoutFile(stream.fileno(), "w", closefd=False)
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(raw) if buffered else raw,
                                  encoding=stream.encoding, errors=stream.errors,
                                  line_buffering=stream.line_buffering,
                                  write_through=stream.write_through)


# The failed write to stdout that a command working on after its output is gone dropped its
# output for (drop_failed_output): the command ends with status 1 all the same.
_dropped_output: list[OutputError] = []


def drop_failed_output(error: OutputError) -> None:
    """stdout cannot be written (`> /dev/full`): said in one line, once, and what is buffered
    for it or written later dropped (not tried again at exit), for a command to finish its work
    (a crawl, a schedule) before it exits with status 1."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    if not _dropped_output:
        click.echo(f"Error: cannot write the output: {error.strerror or error}", err=True)
    _dropped_output.append(error)


def output_dropped() -> bool:
    """Whether drop_failed_output dropped the output: the command is to end with status 1."""
    return bool(_dropped_output)
