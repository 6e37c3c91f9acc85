# Set-up and everyday commands. A fresh machine needs only python3 (>= 3.11).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= demo/archive.db

.PHONY: help demo test lint bench clean
# Plain `make` lists the targets (it built the venv's python, the first rule, before).
.DEFAULT_GOAL := help

## help: list these targets (what plain `make` does)
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); name = $$0; sub(/:.*/, "", name); \
	    sub(/^[^:]*: */, ""); printf "  make %-6s %s\n", name, $$0 }' $(firstword $(MAKEFILE_LIST))

# pip 23.2's resolver fails on this dependency set, so pip is upgraded inside the venv first.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	touch $@ $(VENV)/.installed

# The test extra holds the demo's too.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-demo

# pywb pins older libraries than ours (redis 2.x), so the tests' Wayback server gets its own venv.
PYWB := .venv-pywb
$(PYWB)/bin/wayback:
	$(PYTHON) -m venv $(PYWB)
	$(PYWB)/bin/python -m pip install --quiet --upgrade pip
	$(PYWB)/bin/python -m pip install --quiet 'pywb>=2.8'

# The text tools whose whole-page dumps `wixarchive clean` reads (tests/test_clean_tools.py): inscriptis
# pins lxml below ours, so they get a venv of their own too.
DUMPTOOLS := .venv-dumptools
$(DUMPTOOLS)/.installed:
	$(PYTHON) -m venv $(DUMPTOOLS)
	$(DUMPTOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(DUMPTOOLS)/bin/python -m pip install --quiet 'inscriptis>=2.5' 'html2text>=2024.2.26' \
	    'html-text>=0.6'
	touch $@

# ReplayWeb.page for the test that replays an exported WACZ in Chromium. Its npm package ships the
# built ui.js and sw.js, so the tarball is only unpacked (`npm pack`: no dependencies installed, no
# install scripts run) into build/ (gitignored). Without npm, or offline, the test skips.
RWP_VERSION := 2.5.3
RWP := build/replaywebpage-$(RWP_VERSION)
$(RWP)/sw.js:
	@if command -v npm >/dev/null 2>&1 && mkdir -p $(RWP) \
	    && npm pack --silent --pack-destination $(RWP) replaywebpage@$(RWP_VERSION) >/dev/null \
	    && tar -xzf $(RWP)/replaywebpage-$(RWP_VERSION).tgz -C $(RWP) --strip-components=1 \
	        package/ui.js package/sw.js package/index.html package/LICENSE package/package.json; \
	then rm -f $(RWP)/replaywebpage-$(RWP_VERSION).tgz; \
	else rm -rf $(RWP); echo "warning: could not fetch replaywebpage@$(RWP_VERSION) with npm;" \
	    "the ReplayWeb.page test will be skipped" >&2; fi

## demo: serve a sample Wix blog and its images on 127.0.0.1, crawl it into demo/archive.db, search it
demo: $(VENV)/.installed-demo
	$(BIN)/python -m crawler.demo --db $(DB)

## test: run the test suite
test: $(VENV)/.installed-test $(PYWB)/bin/wayback $(DUMPTOOLS)/.installed $(RWP)/sw.js
	$(BIN)/python -m pytest

## lint: ruff over the code
lint: $(VENV)/.installed-test
	$(BIN)/ruff check crawler archive wixarchive tests benchmarks

## bench: the benchmarks, each printing a table of ratios against the reference tool
# The extraction benchmark needs the real-world corpus (WIXARCHIVE_CORPUS, else ../shared/realworld;
# it exits 3 without it): the others still run, then bench ends with a SKIPPED line and fails.
bench: $(VENV)/.installed-test $(PYWB)/bin/wayback
	$(BIN)/python benchmarks/extraction.py; status=$$?; \
	if [ $$status -ne 0 ] && [ $$status -ne 3 ]; then exit $$status; fi; \
	$(BIN)/python benchmarks/search.py --sizes 10000 \
	&& $(BIN)/python benchmarks/import_archives.py --posts 500 \
	&& $(BIN)/python benchmarks/recover.py --posts 500 || exit 1; \
	if [ $$status -eq 3 ]; then echo "SKIPPED: benchmarks/extraction.py (no real-world corpus;" \
	    "set WIXARCHIVE_CORPUS to its folder)" >&2; exit 1; fi

## clean: remove the venvs, demo/, build/ and the caches
clean:
	rm -rf $(VENV) $(PYWB) $(DUMPTOOLS) demo build *.egg-info .pytest_cache .ruff_cache
