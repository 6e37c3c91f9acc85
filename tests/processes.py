"""Helpers for tests that drive crawl processes: wait on a state the test can observe (rows in
the archive, a server's counter, a line of output) instead of sleeping, with generous limits
that only guard against a hang. Timing is never asserted here: a loaded CI machine may be
many times slower than a developer's."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

HANG_GUARD = 120.0  # seconds: only a hung test waits this long


def crawler_command(url: str, db: Path, *settings: str) -> list[str]:
    """`python -m crawler.run` at full speed, with extra `--set NAME=VALUE` settings."""
    command = [sys.executable, "-m", "crawler.run", url, "--db", str(db),
               "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false"]
    for setting in settings:
        command += ["--set", setting]
    return command


def run_crawl(url: str, db: Path, *settings: str) -> dict:
    """crawler_command, quiet; its summary once it has exited 0."""
    result = subprocess.run(crawler_command(url, db, "LOG_LEVEL=CRITICAL", *settings),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@contextlib.contextmanager
def running(command: list[str], **popen: Any) -> Iterator[tuple[subprocess.Popen, Output,
                                                                Output]]:
    """`command` started, its stdout and stderr read as they come; killed on the way out if it
    is still running (a test that failed part way)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)
    try:
        yield proc, Output(proc.stdout), Output(proc.stderr)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def write_lock(db: Path) -> Iterator[Callable[[], None]]:
    """The archive's write lock, held as another writer would hold it, until the block ends or
    the function it gives is called."""
    writer = sqlite3.connect(db, timeout=60, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")

    def release() -> None:
        if writer.in_transaction:
            writer.execute("ROLLBACK")

    try:
        yield release
    finally:
        release()
        writer.close()


@contextlib.contextmanager
def serve_http(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` answering on a free port of 127.0.0.1, from threads: its base URL
    (http://127.0.0.1:PORT, no trailing slash)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def wait_until(condition: Callable[[], object], what: str,
               proc: subprocess.Popen | None = None, limit: float = HANG_GUARD) -> None:
    """Poll `condition` until it holds; AssertionError if `proc` ends first or after `limit`."""
    deadline = time.monotonic() + limit
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: not seen before the process ended "
                                 f"(exit {proc.returncode})")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen in {limit:g} s")
        time.sleep(0.05)


class Output:
    """A process's output stream, read as it comes (so a test can wait for a line) and whole
    once the process has ended."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str] | None) -> None:
        for line in stream or ():
            self.text += line

    def __contains__(self, part: str) -> bool:
        return part in self.text

    def finish(self) -> str:
        """The whole output (call once the process has ended)."""
        self._thread.join(timeout=HANG_GUARD)
        return self.text


class HangingServer:
    """Accepts connections on `address` and never answers a byte. It notes (time.monotonic())
    when the first connection came and when the last one was closed by its client: how long a
    crawler kept trying, whatever its own start-up took on a loaded machine."""

    def __init__(self, address: str) -> None:
        self._listener = socket.socket()
        self._listener.bind((address, 0))
        self._listener.listen(64)
        self.url = f"http://{address}:{self._listener.getsockname()[1]}/"
        self.first_connection: float | None = None
        self.last_closed: float | None = None
        self.open = 0  # connections the client has not closed
        self._closing = False
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> HangingServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._closing = True
        self._listener.close()
        for conn in self._held:
            conn.close()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn = self._listener.accept()[0]
                with self._lock:
                    if self.first_connection is None:
                        self.first_connection = time.monotonic()
                    self._held.append(conn)
                    self.open += 1
                threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while conn.recv(65536):  # the request, never answered; b"" once the client hangs up
                pass
        with self._lock:
            if not self._closing:  # the client hung up, not we
                self.open -= 1
                self.last_closed = time.monotonic()

    def tried_for(self) -> float:
        """Seconds from the first connection to the last one closed by the client (call it once
        the client is done, inside the `with`)."""
        assert self.first_connection is not None, "no connection came"
        wait_until(lambda: not self.open, "every connection closed by the client")
        assert self.last_closed is not None
        return self.last_closed - self.first_connection


def into_closed_pipe(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run `command` with its stdout a pipe whose reader has already gone, as `| head` leaves it
    once it has read enough: the command's first write to stdout fails (EPIPE)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, text=True,
                              timeout=HANG_GUARD)
    finally:
        os.close(writer)
