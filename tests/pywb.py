"""A real pywb (`wb-manager`, `wayback`) on 127.0.0.1 for the tests that replay or recover.

pywb pins libraries older than ours (redis 2.x, fakeredis 0.16), so it lives in a venv of its
own: `make test` creates `.venv-pywb` (or set WIXARCHIVE_PYWB_BIN to a folder holding
`wb-manager` and `wayback`). Tests using it skip, saying why, when it is absent.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def pywb_bin() -> Path | None:
    """The folder holding pywb's commands, or None."""
    candidates = [os.environ.get("WIXARCHIVE_PYWB_BIN"), str(REPO / ".venv-pywb" / "bin")]
    which = shutil.which("wayback")
    if which:
        candidates.append(str(Path(which).parent))
    for folder in filter(None, candidates):
        if (Path(folder) / "wayback").exists() and (Path(folder) / "wb-manager").exists():
            return Path(folder)
    return None


MISSING = "pywb is not installed (make test creates .venv-pywb; or set WIXARCHIVE_PYWB_BIN)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def wayback(root: Path, warcs: Sequence[Path] = (), waczs: Sequence[Path] = (),
            collection: str = "archive") -> Iterator[str]:
    """Serve `warcs` and `waczs` (unpacked, as `wb-manager add --unpack-wacz` does) from a pywb
    collection under `root`; yields the collection's base URL, e.g. http://127.0.0.1:PORT/archive/.
    Replay is at BASE<14-digit timestamp>id_/<url> and the CDX server at BASE[:-1]/cdx."""
    folder = pywb_bin()
    if folder is None:
        raise RuntimeError(MISSING)
    root.mkdir(parents=True, exist_ok=True)

    def manager(*args: str) -> None:
        subprocess.run([str(folder / "wb-manager"), *args], cwd=root, check=True,
                       capture_output=True, timeout=300)

    if not (root / "collections" / collection).exists():
        manager("init", collection)
    if warcs:
        manager("add", collection, *map(str, warcs))
    if waczs:
        manager("add", "--unpack-wacz", collection, *map(str, waczs))
    port = _free_port()
    log = open(root / "wayback.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(folder / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
                            cwd=root, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}/{collection}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    said = (root / "wayback.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"wayback did not start: {said}") from exc
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
