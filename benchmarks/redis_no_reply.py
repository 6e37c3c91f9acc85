"""How long a command of the distributed crawl waits for a Redis that stops answering, with the
client settings the writer and the workers use (crawler.distributed.protocol.connect), counting
redis-py's own retries: the numbers docs/distributed.md gives.

    .venv/bin/python benchmarks/redis_no_reply.py

A real redis-server on 127.0.0.1 is stopped with SIGSTOP (it keeps accepting connections, never
replies), then killed (connections refused); a listener whose accept queue is full stands for a
host that does not answer a connection. Takes about a minute. Needs redis-server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import redis  # noqa: E402
import redis.connection  # noqa: E402

from crawler.distributed import protocol  # noqa: E402
from crawler.distributed.blips import CrawlLink  # noqa: E402

CONNECTIONS: list[float] = []  # when each connection attempt started
_connect = redis.connection.Connection._connect


def _counted_connect(self: redis.connection.Connection) -> socket.socket:
    CONNECTIONS.append(time.monotonic())
    return _connect(self)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(what: str, call: Callable[[], Any]) -> None:
    CONNECTIONS.clear()
    start = time.monotonic()
    try:
        call()
        outcome = "a reply"
    except redis.RedisError as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    print(f"{what}: {outcome}, after {time.monotonic() - start:.2f} s, "
          f"{len(CONNECTIONS)} connection attempts", flush=True)


def main() -> None:
    redis.connection.Connection._connect = _counted_connect  # type: ignore[method-assign]
    print(f"redis-py {redis.__version__}")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="redis-no-reply-") as folder:
        server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                                   "--appendonly", "no", "--dir", folder],
                                  stdout=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            client = protocol.connect(f"redis://127.0.0.1:{port}/0", RuntimeError)
            client.set(protocol.CRAWL, b"crawl")
            os.kill(server.pid, signal.SIGSTOP)
            timed("stopped Redis, one command", lambda: client.get(protocol.CRAWL))
            link = CrawlLink(client, b"crawl", RuntimeError)
            timed("stopped Redis, the writer's command through its grace",
                  lambda: link.steady(lambda: client.get(protocol.CRAWL)))
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            timed("killed Redis, one command", lambda: client.get(protocol.CRAWL))
        finally:
            if server.poll() is None:
                os.kill(server.pid, signal.SIGCONT)
                server.kill()
                server.wait()
    with socket.socket() as listener:  # its accept queue full: new connections get no answer
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        waiting = []
        for _ in range(3):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(listener.getsockname())
            waiting.append(sock)
        time.sleep(0.2)
        client = redis.Redis.from_url(f"redis://127.0.0.1:{listener.getsockname()[1]}/0",
                                      socket_timeout=15, socket_connect_timeout=5)
        timed("host not answering, one command", lambda: client.get(protocol.CRAWL))
        for sock in waiting:
            sock.close()


if __name__ == "__main__":
    main()
