"""Starting helper Python processes: never with the current folder on their import path, and
with multiprocessing's spawn without re-running the parent's main.

`python -m MODULE` puts the folder it runs in first on sys.path, so a stray `attrs.py` (or any
file named like a dependency) in the folder a user crawls from was imported in place of the
real package: Twisted died on import. Our children run `python -P -m` (python_module), and
multiprocessing's spawned workers inherit both -P and the parent's sys.path. A checkout that is
not pip-installed, run from its own folder (`python -m archive.cli`), is on the parent's path
only as that current folder, which -P leaves out: python_module_env then names the folder the
package was imported from on the child's PYTHONPATH (that folder only, never the current one).

A spawned child imports the parent's `__main__` module again (as `__mp_main__`) before it runs
its target, so that functions defined there can be unpickled. Ours never are: a crawl's archive
worker and reextract's extraction processes run functions of their own modules. Re-importing
`crawler.run` cost each archive worker all of Scrapy and Twisted (~1 s of CPU, a quarter of its
work on a 500-post crawl); `archive.cli` the whole command line.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

_MISSING = object()


def python_module(module: str, *args: str) -> list[str]:
    """The command running `module` as `python -m` does, with this interpreter, but without
    the current folder on its import path (-P)."""
    return [sys.executable, "-P", "-m", module, *args]


# The folder holding the `archive` and `crawler` packages this process imported.
PACKAGES_HOME = Path(__file__).resolve().parent.parent


def python_module_env(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment for a python_module child: `environ`, with PACKAGES_HOME first on
    PYTHONPATH when the child would not find the packages otherwise (it inherits every entry of
    this process's sys.path but the first, the current or script folder, unless this process
    runs with -P itself), so the child runs the same code as its parent."""
    inherited = sys.path if sys.flags.safe_path else sys.path[1:]
    if any(Path(entry or ".").resolve() == PACKAGES_HOME for entry in inherited):
        return dict(environ)
    path = environ.get("PYTHONPATH")
    return {**environ,
            "PYTHONPATH": os.pathsep.join([str(PACKAGES_HOME), *([path] if path else [])])}


@contextlib.contextmanager
def without_main() -> Iterator[None]:
    """Within this block, processes started (or pools first submitted to) with the spawn
    method do not import the parent's main module."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {name: main.__dict__.get(name, _MISSING) for name in ("__spec__", "__file__")}
    main.__spec__ = None  # type: ignore[assignment]
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is _MISSING:
                main.__dict__.pop(name, None)
            else:
                main.__dict__[name] = value
