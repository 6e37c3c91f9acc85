"""Hostile archives in the web UI: security headers, a read-only server, and real Chromium
loading every page that shows a post, with a sink recording any script that runs.

Chromium is driven over its DevTools protocol (tests/devtools.py; no browser build downloaded):
`pwn()` is defined in every page before its own scripts, alert/confirm/prompt report to it,
and a loopback sink server counts requests from redirect payloads.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from devtools import LOAD_TIMEOUT, DevTools
from devtools import browser as chromium_devtools
from hostile import WORD, make_hostile_archive
from test_web import Client, make_archive
from test_web_serve import running_server

from archive.cli.serve import make_datasette
from archive.web.headers import datasette_script_hashes

SETTLE = 1.5  # seconds after load for timers and <meta refresh content=0> to fire


# -- the sink ---------------------------------------------------------------------------------

@contextmanager
def sink_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server recording every path requested of it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _record(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        do_GET = do_POST = _record

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


# -- a minimal DevTools client ----------------------------------------------------------------

SINK_JS = """
window.__pwned = [];
window.pwn = (marker) => { window.__pwned.push(String(marker)); };
window.alert = window.confirm = window.prompt = (m) => window.pwn('dialog:' + m);
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    (e) => window.__violations.push(e.violatedDirective + ' ' + (e.sample || e.blockedURI)));
"""

# What is in the DOM that could run or navigate: elements, attributes and URLs by the
# browser's own parsing (a.protocol), after every inline handler had its chance.
INSPECT_JS = """
(() => {
  const bad = [];
  const known = new Set(%s);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) bad.push(el.tagName + ' ' + attr.name);
      if (['srcdoc', 'formaction'].includes(attr.name)) bad.push(el.tagName + ' ' + attr.name);
    }
    const tag = el.tagName.toLowerCase();
    if (['iframe', 'frame', 'object', 'embed', 'base', 'applet'].includes(tag)) bad.push(tag);
    if (tag === 'meta' && el.httpEquiv) bad.push('meta ' + el.httpEquiv);
    if (tag === 'script' && !el.src && !known.has(el.textContent)) bad.push('inline script');
    for (const name of ['href', 'src', 'action', 'data', 'xlink:href']) {
      const value = el.getAttribute(name);
      if (value === null || value === '') continue;
      let protocol;
      try { protocol = new URL(value, document.baseURI).protocol; } catch (e) { continue; }
      if (!['http:', 'https:', 'mailto:', 'tel:'].includes(protocol)) {
        bad.push(tag + ' ' + name + '=' + value.slice(0, 40));
      }
    }
  }
  // Fire what a reader would: hover, focus and click every element with a handler-worthy role.
  for (const el of document.querySelectorAll('body *')) {
    for (const type of ['mouseover', 'focus', 'toggle']) el.dispatchEvent(new Event(type));
  }
  return {pwned: window.__pwned, violations: window.__violations, bad: bad,
          href: location.href};
})()
"""


@contextmanager
def browser(tmp_path: Path, *chromium_args: str) -> Iterator[DevTools]:
    with chromium_devtools(tmp_path / "profile", *chromium_args) as tools:
        tools.call("Page.addScriptToEvaluateOnNewDocument", source=SINK_JS)
        yield tools


def visit(tools: DevTools, url: str, *, bypass_csp: bool) -> dict[str, Any]:
    """Load `url`, let it settle, and report what ran and where the page ended up."""
    tools.call("Page.setBypassCSP", enabled=bypass_csp)
    tools.events.clear()
    tools.call("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired")
    tools.pump(SETTLE)
    known = json.dumps(list(_datasette_scripts()))
    report = tools.evaluate(INSPECT_JS % known)
    tools.pump(0.3)  # handlers fired by the synthetic events
    report["pwned"] = tools.evaluate("window.__pwned")
    report["navigations"] = [e["params"]["frame"]["url"] for e in tools.events
                             if e.get("method") == "Page.frameNavigated"]
    report["dialogs"] = [e for e in tools.events
                         if e.get("method") == "Page.javascriptDialogOpening"]
    return report


def _datasette_scripts() -> list[str]:
    """The inline scripts Datasette's templates render (the ones the CSP allows by hash)."""
    import re

    import datasette

    found = []
    for template in (Path(datasette.__file__).parent / "templates").glob("*.html"):
        for script in re.findall(r"<script>(.*?)</script>", template.read_text(), re.DOTALL):
            found += [script.replace("{{ datasette_allow_facet }}", v) for v in ("true", "false")]
    return found


# -- tests ------------------------------------------------------------------------------------

def test_hostile_posts_never_run_or_redirect_in_chromium(tmp_path: Path) -> None:
    """Search, article (current and old version), posts table, row, database and query pages
    (Datasette's CodeMirror scripts must pass the CSP) of posts written
    by extraction, by the store API unsanitized and as raw rows: nothing runs, nothing
    navigates, nothing dangerous is in the DOM; with the CSP bypassed (sanitizing alone) and
    with it enforced."""
    with sink_server() as (sink, hits):
        db = tmp_path / "hostile.db"
        ids = make_hostile_archive(db, sink)
        with running_server(db) as (_, base), browser(tmp_path) as tools:
            reflected = quote("<script>pwn('q')</script>\"><svg onload=pwn('q2')>")
            pages = [f"{base}hostile/-/search?q={WORD}",
                     f"{base}hostile/posts", f"{base}hostile/posts?_search={WORD}",
                     f"{base}hostile/post_versions", f"{base}hostile",
                     f"{base}hostile?sql=select+id,+title,+body_html,+url+from+posts",
                     # Reflected input: the query, filters and a version that does not exist.
                     f"{base}hostile/-/search?q={reflected}&author={reflected}&site={reflected}"
                     f"&tag={reflected}&since={reflected}",
                     f"{base}hostile/-/post/{ids['raw']}?version={reflected}",
                     f"{base}hostile/posts?title__contains={reflected}&_facet=author"]
            for post_id in ids.values():
                pages += [f"{base}hostile/-/post/{post_id}", f"{base}hostile/posts/{post_id}",
                          f"{base}hostile/-/post/{post_id}?version=1"]
            failures = []
            for bypass in (True, False):
                for page in pages:
                    report = visit(tools, page, bypass_csp=bypass)
                    problems = {key: report[key] for key in ("pwned", "bad", "dialogs")
                                if report[key]}
                    # One navigation (the page itself, as Chromium spells its URL), no other.
                    if len(report["navigations"]) != 1 or report["navigations"][0].split("?")[
                            0] != page.split("?")[0]:
                        problems["navigations"] = report["navigations"]
                    elif report["href"] != report["navigations"][0]:
                        problems["href"] = report["href"]
                    if not bypass and report["violations"]:
                        # Datasette's own scripts must pass the CSP: any violation is a payload
                        # the sanitizer missed or a page script the policy wrongly blocks.
                        problems["violations"] = report["violations"]
                    if problems:
                        failures.append((page, "CSP bypassed" if bypass else "CSP on", problems))
            time.sleep(0.2)
        assert not failures, json.dumps(failures, indent=1)[:4000]
        assert not hits, hits  # no redirect, frame, form or beacon reached the sink


def test_the_csp_blocks_an_injected_script_in_chromium(tmp_path: Path) -> None:
    """The policy itself works in a real browser: a script added to the page after load (as a
    sanitizer miss would add one) is refused, and Datasette's own scripts on the same pages
    are not."""
    db = make_archive(tmp_path / "blogs.db")
    with running_server(db) as (_, base), browser(tmp_path) as tools:
        for page in (f"{base}blogs/-/search?q=breathing", f"{base}blogs/-/post/1",
                     f"{base}blogs/posts"):
            report = visit(tools, page, bypass_csp=False)
            assert report["violations"] == [] and report["pwned"] == [], (page, report)
            tools.evaluate("""(() => {
                const s = document.createElement('script');
                s.textContent = "pwn('injected')";
                document.body.appendChild(s);
                const i = document.createElement('img');
                i.setAttribute('src', 'x'); i.setAttribute('onerror', "pwn('handler')");
                document.body.appendChild(i);
            })()""")
            tools.pump(0.5)
            assert tools.evaluate("window.__pwned") == [], page
            violations = tools.evaluate("window.__violations")
            assert any(v.startswith("script-src") for v in violations), (page, violations)


# -- headers ----------------------------------------------------------------------------------

@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    c = Client(make_datasette(make_archive(tmp_path / "blogs.db")))
    yield c
    c.close()


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_plugin_pages_send_a_strict_content_security_policy(client: Client) -> None:
    hashes = list(datasette_script_hashes())
    assert hashes, "no inline script found in Datasette's templates"
    for path in ("/blogs/-/search?q=breathing", "/blogs/-/search.json?q=breathing",
                 "/blogs/-/post/1", "/blogs/-/post/1.json", "/blogs/-/post/999"):
        response = client.get(path)
        csp = _directives(response.headers["content-security-policy"])
        assert csp["script-src"] == hashes, path  # the page's own scripts only: no 'self'
        assert csp["default-src"] == ["'none'"] and csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in csp["script-src"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"


def test_datasette_pages_of_an_archive_send_the_policy_too(client: Client) -> None:
    for path in ("/blogs", "/blogs/posts", "/blogs/posts/1", "/blogs/posts.json",
                 "/blogs/posts.csv", "/blogs?sql=select+1"):
        response = client.get(path)
        csp = _directives(response.headers["content-security-policy"])
        assert csp["script-src"][0] == "'self'" and "'unsafe-inline'" not in csp["script-src"]
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_other_databases_keep_datasettes_headers(tmp_path: Path) -> None:
    import sqlite3

    from datasette.app import Datasette

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (a)").connection.close()
    c = Client(Datasette(files=[str(other), str(make_archive(tmp_path / "blogs.db"))]))
    try:
        assert "content-security-policy" not in c.get("/other/t").headers
        assert "content-security-policy" in c.get("/blogs/posts").headers
    finally:
        c.close()


# -- read-only --------------------------------------------------------------------------------

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_serve_cannot_change_the_archive(tmp_path: Path) -> None:
    """POSTs and writes through every Datasette door leave the file byte for byte the same."""
    db = make_archive(tmp_path / "blogs.db")
    before = _digest(db)
    with running_server(db) as (_, base):
        attempts = [
            ("POST", "blogs", {"sql": "update posts set title = 'owned'"}),
            ("GET", "blogs?sql=update+posts+set+title+%3D+%27owned%27", None),
            ("GET", "blogs?sql=delete+from+posts", None),
            ("GET", "blogs?sql=pragma+query_only%3D0", None),
            ("GET", "blogs?sql=attach+database+%27x.db%27+as+x", None),
            ("POST", "blogs/posts/-/insert", {"row": {"title": "owned"}}),
            ("POST", "blogs/posts/1/-/update", {"update": {"title": "owned"}}),
            ("POST", "blogs/posts/1/-/delete", {}),
            ("POST", "blogs/posts/-/drop", {"confirm": True}),
            ("POST", "blogs/-/create", {"table": "x", "columns": [{"name": "a"}]}),
            ("POST", "-/messages", {"message": "x"}),
            ("POST", "blogs/-/search", {"q": "x"}),
            ("POST", "blogs/-/post/1", {}),
        ]
        statuses = []
        for method, path, body in attempts:
            data = json.dumps(body).encode() if body is not None else None
            request = urllib.request.Request(base + path, data=data, method=method,
                                             headers={"content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=LOAD_TIMEOUT) as response:
                    statuses.append((path, response.status))
            except urllib.error.HTTPError as exc:
                statuses.append((path, exc.code))
        assert all(status != 500 for _, status in statuses), statuses
    assert _digest(db) == before, statuses
    with __import__("sqlite3").connect(db) as conn:
        assert conn.execute("select count(*) from posts where title = 'owned'").fetchone() == (0,)


def test_every_connection_of_serve_is_read_only(tmp_path: Path) -> None:
    """Even Datasette's write connection (canned write queries, writing plugins) cannot write:
    it is opened mode=ro, and the plugin sets query_only on it."""
    import sqlite3

    db = make_archive(tmp_path / "blogs.db")
    before = _digest(db)
    c = Client(make_datasette(db))
    try:
        database = c.ds.get_database("blogs")
        assert database.is_mutable  # not immutable=1: a crawl may write while serve reads
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
            c.run(database.execute_write("UPDATE posts SET title = 'owned'"))
        conn = database.connect(write=True)
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
            conn.execute("UPDATE posts SET title = 'owned'")
        conn.close()
    finally:
        c.close()
    assert _digest(db) == before
