"""Upgrading an archive written by an older wixarchive (archive/schema.py migrates it): the line
that says so, since an upgraded archive can no longer be opened by the version that wrote it.
See docs/operations.md, "Upgrading"."""

from __future__ import annotations

from pathlib import Path

from archive import schema


def notices(path: Path, from_version: int) -> list[str]:
    """What to tell the user once `path` has been upgraded from schema `from_version`."""
    lines = [f"Upgraded {path} from schema v{from_version} to v{schema.SCHEMA_VERSION}: "
             f"wixarchive versions writing an older schema (`wixarchive --version` names it) can "
             "no longer open it; to go back to one, restore a copy made before the upgrade "
             "(docs/operations.md, Upgrading)"]
    return lines
