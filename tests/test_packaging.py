"""What the built package carries besides modules: the PEP 561 marker of each package, so type
checkers read the API's inline hints (a wheel built from pyproject.toml holds the files its
package-data lists, no others: there is no MANIFEST.in)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("archive", "crawler", "wixarchive")  # what [tool.setuptools.packages.find] includes


def test_every_package_is_marked_typed_and_ships_the_marker() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    for package in PACKAGES:
        assert (REPO / package / "py.typed").is_file(), f"{package}/py.typed is missing"
        assert "py.typed" in package_data.get(package, []), \
            f"pyproject.toml's package-data does not ship {package}/py.typed"


def test_an_editable_install_is_a_plain_path_entry_and_says_nothing(tmp_path: Path) -> None:
    """`make demo` installs the checkout with `pip install -e`, which printed setuptools' notice
    "Editable installation. Please be careful with folders in your working directory with the
    same name as your package": a flat layout setuptools must guess got an import hook that
    maps each package. pyproject.toml names the root as the packages' folder (package-dir), so
    the install is a .pth file naming the checkout, as `python -m` from it reads the packages,
    and nothing is printed."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, checkout / name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, checkout / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")],
                   check=True)
    venv_python = tmp_path / "venv" / "bin" / "python"
    # This venv's pip installs into that one (--python); the build fetches setuptools.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv_python), "install", "--quiet",
         "--no-deps", "-e", str(checkout)], capture_output=True, text=True, timeout=600)
    if result.returncode and "setuptools" in result.stderr and (
            "No matching distribution" in result.stderr or "Could not" in result.stderr):
        pytest.skip("setuptools could not be fetched to build the install (offline?)")
    assert result.returncode == 0, result.stderr
    assert "Editable installation" not in result.stdout + result.stderr, result.stderr
    (site_packages,) = (tmp_path / "venv").glob("lib/python*/site-packages")
    (pth,) = site_packages.glob("__editable__.wixarchive-*.pth")
    assert pth.read_text().split() == [str(checkout.resolve())]
