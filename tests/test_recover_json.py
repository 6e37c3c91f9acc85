"""`wixarchive recover --json` however it ends: one summary object on stdout, the reason in its
"errors" and its "status" (ok, failed, interrupted), as `crawl --json` has, with a stand-in CDX
server on 127.0.0.1 (no pywb needed: these runs end before any capture is fetched)."""

from __future__ import annotations

import http.server
import json
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from tests.processes import running, serve_http, wait_until

SITE = "https://blog.example/"


def recover(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", "recover", SITE, "--json",
                           "--delay", "0", "--retries", "0", *args],
                          capture_output=True, text=True, timeout=120)


class EmptyCollection(http.server.BaseHTTPRequestHandler):
    """A CDX server that lists nothing, and no replay base: a mistyped pywb collection."""

    def do_GET(self) -> None:
        found = self.path.startswith("/coll/cdx")
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def summary_of(result: subprocess.CompletedProcess[str]) -> dict:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.strip(), f"no summary on stdout: {result.stderr}"
    return json.loads(result.stdout)


def test_a_wrong_collection_or_no_captures_says_why_in_the_json_errors(tmp_path: Path):
    """Before: a full summary with "errors": [] and exit 1, the reason only on stderr."""
    with serve_http(EmptyCollection) as base:
        wrong = recover("--from", f"{base}/coll/", "--db", str(tmp_path / "a.db"))
        none = recover("--from", f"{base}/coll/", "--cdx", f"{base}/coll/cdx",
                       "--db", str(tmp_path / "b.db"))
    for result, reason in ((wrong, "answers HTTP 404: no such collection"),
                           (none, "has no captures of post pages")):
        assert result.returncode == 1, result.stderr
        summary = summary_of(result)
        assert summary["status"] == "failed", summary
        assert len(summary["errors"]) == 1 and reason in summary["errors"][0], summary
        assert result.stderr.strip().splitlines()[-1] == f"Error: {summary['errors'][0]}"


def test_a_cdx_server_that_cannot_be_reached_is_a_json_summary_too(tmp_path: Path):
    """Before: nothing on stdout, only the Error line."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once it is closed
    result = recover("--cdx", f"http://127.0.0.1:{port}/cdx", "--db", str(tmp_path / "a.db"))
    assert result.returncode == 1, result.stderr
    summary = summary_of(result)
    assert summary["status"] == "failed" and summary["listed"] == 0, summary
    (error,) = summary["errors"]
    assert f"cannot reach the CDX server at http://127.0.0.1:{port}" in error, error


def test_a_recover_stopped_by_sigterm_prints_its_json_summary(tmp_path: Path):
    """Before: empty stdout and exit 143; crawl and run-due print their summary when stopped."""
    asked = threading.Event()
    release = threading.Event()

    class Hanging(EmptyCollection):
        def do_GET(self) -> None:
            asked.set()
            release.wait(60)
            super().do_GET()

    with serve_http(Hanging) as base:
        command = [sys.executable, "-m", "archive.cli", "recover", SITE, "--json", "--delay",
                   "0", "--from", f"{base}/coll/", "--db", str(tmp_path / "a.db")]
        with running(command) as (proc, stdout, stderr):
            wait_until(asked.is_set, "the CDX server asked", proc)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            release.set()
    out, err = stdout.finish(), stderr.finish()
    assert proc.returncode == 143, err
    assert "Traceback" not in err, err
    summary = json.loads(out)
    assert summary["status"] == "interrupted", summary
    (error,) = summary["errors"]
    assert error.startswith("interrupted: what was fetched is kept"), error
    assert err.strip().splitlines()[-1].startswith("Interrupted: what was fetched is kept")
