"""What the built package carries besides modules: the PEP 561 marker of each package, so type
checkers read the API's inline hints (a wheel built from pyproject.toml holds the files its
package-data lists, no others: there is no MANIFEST.in)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("archive", "crawler", "wixarchive")  # what [tool.setuptools.packages.find] includes


def test_every_package_is_marked_typed_and_ships_the_marker() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    for package in PACKAGES:
        assert (REPO / package / "py.typed").is_file(), f"{package}/py.typed is missing"
        assert "py.typed" in package_data.get(package, []), \
            f"pyproject.toml's package-data does not ship {package}/py.typed"
