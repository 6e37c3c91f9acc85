"""A minimal client of Chromium's DevTools protocol for the browser tests that must wait for
scripts (the web UI's security test, ReplayWeb.page's replay): headless Chromium from Debian,
driven over its websocket with websocket-client (a small pure-Python package in the test
extra). puppeteer-core would do the same from npm with a Node process and a dozen packages
between the test and the browser; these few calls are all the tests need.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_browser import BROWSER_TIMEOUT, chromium

websocket = pytest.importorskip("websocket")  # websocket-client, in the test extra

LOAD_TIMEOUT = 30  # seconds per call or page; a guard against a hang, not a speed assertion


class DevTools:
    """One Chromium page driven over the DevTools websocket."""

    def __init__(self, ws_url: str) -> None:
        # No Origin header: Chromium 150 refuses a DevTools websocket whose origin it was not
        # told to allow (--remote-allow-origins), and the port is only known once it runs.
        self.ws = websocket.create_connection(ws_url, timeout=LOAD_TIMEOUT, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + LOAD_TIMEOUT
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)
        raise AssertionError(f"{method}: no answer")

    def wait_for(self, method: str) -> None:
        deadline = time.monotonic() + LOAD_TIMEOUT
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {method} event")
            self.events.append(json.loads(self.ws.recv()))

    def pump(self, seconds: float) -> None:
        self.ws.settimeout(0.1)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                continue
        self.ws.settimeout(LOAD_TIMEOUT)

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=await_promise)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")


@contextmanager
def browser(profile: Path, *chromium_args: str) -> Iterator[DevTools]:
    """A headless Chromium with its profile in `profile` (and `chromium_args`, e.g. a
    --proxy-server), on about:blank; killed on exit."""
    binary = chromium()
    proc = subprocess.Popen(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", *chromium_args,
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + BROWSER_TIMEOUT
        while not (port_file.is_file() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                    timeout=LOAD_TIMEOUT) as response:
            page = next(t for t in json.load(response) if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        try:
            tools.call("Page.enable")
            yield tools
        finally:
            tools.ws.close()
    finally:
        proc.kill()
        proc.wait()
