"""The web UI's pages for screen-reader and keyboard users: a language on every page, a skip
link and a main landmark, readable link colours, headings that do not skip a level, titles
that say what the page is, and column descriptions reachable without Datasette's ⚙ menu.

Markup through Datasette's own app (make_datasette, as `wixarchive serve` builds it); keyboard
focus, colours and the skip link's jump in a real headless Chromium against `wixarchive serve`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from devtools import DevTools
from test_web import Client, make_archive, post_id
from test_web_serve import running_server

pytest.importorskip("datasette")

from datasette.app import Datasette

from archive.cli.serve import make_datasette

BACKGROUND = "#F8FAFB"  # Datasette's page background (app.css)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return make_archive(tmp_path / "arch.db", extra=12)  # 12 "filler" posts to page through


@pytest.fixture
def client(db_path: Path) -> Iterator[Client]:
    c = Client(make_datasette(db_path))
    yield c
    c.close()


def pages(db_path: Path) -> list[str]:
    """One page of each kind: home, database, table, row, canned query, search, article."""
    return ["/", "/arch", "/arch/posts", "/arch/sites/1", "/arch/recent_posts",
            "/arch/-/search?q=breathing", f"/arch/-/post/{post_id(db_path, 'evening')}"]


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert found, html[:300]
    return found.group(1).strip().replace("&#34;", '"')


def heading_levels(html: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])\b", html)]


def assert_no_skipped_level(path: str, html: str) -> None:
    levels = heading_levels(html)
    assert levels[0] == 1, (path, levels)
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, (path, levels)


# -- markup -----------------------------------------------------------------------------------

def test_every_page_is_english_with_a_skip_link_to_its_main_content(client: Client,
                                                                     db_path: Path) -> None:
    for path in pages(db_path):
        html = client.get(path).text
        assert re.search(r"<html lang=\"en\">", html), path
        body = html[html.index("<body"):]
        # The skip link is the body's first link, to the one main landmark, which holds the
        # page's content.
        first_link = re.search(r"<a\b[^>]*>(.*?)</a>", body)
        assert first_link and first_link.group(1) == "Skip to content", path
        assert 'href="#main"' in first_link.group(0), path
        # A table's page (and a row's) offers the rows next.
        links = re.findall(r"<a\b[^>]*>(.*?)</a>", body)
        assert (links[1] == "Skip to the rows") == ("/arch/posts" in path or "/sites/" in path)
        assert html.count("<main") == 1 and html.count("</main>") == 1, path
        main = html[html.index('<main id="main"'):html.index("</main>")]
        assert "<h1" in main and "<footer" not in main and "<nav" not in main, path
    article = client.get(f"/arch/-/post/{post_id(db_path, 'evening')}").text
    assert '<article class="wxa-article" lang="fr"' in article  # the post keeps its own


def test_error_pages_get_the_language_and_other_databases_are_left_alone(
        tmp_path: Path, db_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    c = Client(Datasette(files=[str(other), str(db_path)]))
    try:
        missing = c.get("/arch/no_such_table").text
        assert '<html lang="en">' in missing and '<main id="main"' in missing
        for path in ("/other", "/other/notes"):
            html = c.get(path).text
            assert "<html>" in html and "<main" not in html and "Skip to content" not in html
            assert "wixarchive.css" not in html
    finally:
        c.close()


def test_headings_do_not_skip_a_level(client: Client, db_path: Path) -> None:
    for path in [*pages(db_path), "/arch/-/search?q=filler&limit=5&offset=5"]:
        assert_no_skipped_level(path, client.get(path).text)
    search = client.get("/arch/-/search?q=filler&limit=5&offset=5").text
    assert "<h2>Results 6–10 of 12</h2>" in search
    database = client.get("/arch").text
    assert re.search(r"<h2[^>]*>Custom SQL query</h2>", database)
    table = client.get("/arch/posts").text
    assert re.search(r"<h2[^>]*>\s*16 rows", table)


def test_titles_say_what_the_page_is(client: Client, db_path: Path) -> None:
    evening = post_id(db_path, "evening")
    expected = {
        "/arch/-/post": "Not found – Search arch",
        f"/arch/-/post/{evening}": "Evening routine, revised – arch",
        f"/arch/-/post/{evening}?version=1": "Evening routine (version 1 of 2) – arch",
        "/arch/-/search?q=%22unterminated": 'Error: "unterminated – Search arch',
        "/arch/-/search?q=filler&limit=5": "filler – results 1–5 – Search arch",
        "/arch/-/search?q=filler&limit=5&offset=5": "filler – results 6–10 – Search arch",
        "/arch/-/search?q=nothingmatches": "nothingmatches – no matches – Search arch",
        "/arch/-/search": "Search arch",
        "/arch/recent_posts": "Recent posts per site – arch",
        "/arch/changed_since?since=2024-01-01": "Posts changed since a date – arch",
        "/arch/sites/1": "sites 1 – arch",
    }
    assert {path: title(client.get(path).text) for path in expected} == expected


def test_column_notes_are_in_a_collapsed_list_above_the_rows(client: Client) -> None:
    html = client.get("/arch/posts").text
    notes = re.search(r'<details class="wxa-column-notes">\s*<summary>Column notes</summary>'
                      r"(.*?)</details>", html, re.DOTALL)
    assert notes, "no column notes"
    assert "<dt>wix_post_id</dt><dd>Wix&#39;s own post id, when the page exposes it</dd>" \
        in notes.group(1)
    assert notes.start() < html.index('<table class="rows-and-columns')
    assert 'class="column-descriptions"' not in html  # Datasette's open list stays away
    # A table without column descriptions gets none.
    assert "Column notes" not in client.get("/arch/posts_fts").text


# -- in Chromium ------------------------------------------------------------------------------

def press(tools: DevTools, key: str) -> None:
    codes = {"Tab": 9, "Enter": 13}
    for kind in ("keyDown", "keyUp"):
        tools.call("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                   windowsVirtualKeyCode=codes[key], nativeVirtualKeyCode=codes[key],
                   **({"text": "\r"} if key == "Enter" and kind == "keyDown" else {}))


def load(tools: DevTools, url: str) -> None:
    tools.events.clear()
    tools.call("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired")


CONTRAST_JS = """
function luminance(rgb) {
  const c = rgb.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}
function contrast(element) {
  const a = luminance(getComputedStyle(element).color);
  const b = luminance(getComputedStyle(document.body).backgroundColor);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""


def test_keyboard_skips_to_the_rows_and_focused_links_stay_readable(tmp_path: Path) -> None:
    from test_web_security import browser

    db = make_archive(tmp_path / "arch.db", extra=8)
    with running_server(db) as (_, base), browser(tmp_path) as tools:
        load(tools, f"{base}arch/posts")
        tools.evaluate(CONTRAST_JS)
        press(tools, "Tab")  # the first Tab lands on the skip link, shown on screen
        skip = tools.evaluate("""(() => { const a = document.activeElement,
            r = a.getBoundingClientRect();
            return [a.textContent, r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0,
                    contrast(a), getComputedStyle(a).outlineStyle]; })()""")
        assert skip[0] == "Skip to content" and skip[1], skip
        assert skip[2] >= 4.5 and skip[3] != "none", skip
        press(tools, "Enter")  # ... and jumps past the header's links into the main content
        press(tools, "Tab")
        assert tools.evaluate("!!document.activeElement.closest('main')")
        # The second Tab offers the rows: past the search form, filters and facet links.
        load(tools, f"{base}arch/posts")
        tools.evaluate(CONTRAST_JS)
        press(tools, "Tab")
        press(tools, "Tab")
        assert tools.evaluate("document.activeElement.textContent") == "Skip to the rows"
        press(tools, "Enter")
        press(tools, "Tab")
        assert tools.evaluate("!!document.activeElement.closest('#wxa-rows table')")
        assert tools.evaluate("document.querySelectorAll('main .facet-info a').length") > 5
        # Focused and hovered links read at 4.5:1 at least; focus keeps a visible outline.
        link = tools.evaluate("""(() => {
            const a = [...document.querySelectorAll('main a[href]')].find(
                a => a.closest('.facet-info'));
            a.focus();
            const style = getComputedStyle(a);
            return [contrast(a), style.outlineStyle, parseFloat(style.outlineWidth)]; })()""")
        assert link[0] >= 4.5 and link[1] != "none" and link[2] >= 1, link
        box = tools.evaluate("""(() => { document.activeElement.blur();
            const r = document.querySelector('main .facet-info a[href]').getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; })()""")
        tools.call("Input.dispatchMouseEvent", type="mouseMoved", x=box[0], y=box[1])
        hovered = tools.evaluate("contrast(document.querySelector('main .facet-info a:hover'))")
        assert hovered >= 4.5, hovered
        # The column notes open from the keyboard: their summary is in the tab order.
        notes = tools.evaluate("""(() => { const s = document.querySelector(
            '.wxa-column-notes summary'); s.focus();
            return [document.activeElement === s, s.parentElement.open]; })()""")
        assert notes == [True, False], notes
        press(tools, "Enter")
        assert tools.evaluate("document.querySelector('.wxa-column-notes').open") is True

        load(tools, f"{base}arch/-/search?q=breathing")
        tools.evaluate(CONTRAST_JS)
        urls = tools.evaluate("[...document.querySelectorAll('.wxa-url')].map(contrast)")
        assert urls and min(urls) >= 4.5, urls


def test_a_template_dir_of_ones_own_still_shapes_the_pages(tmp_path: Path, db_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_table.html").write_text("<p>My own rows</p>")
    (templates / "row.html").write_text('{% extends "default:row.html" %}'
                                        "{% block content %}<p>My row</p>{% endblock %}")
    (templates / "query-arch-recent_posts.html").write_text(
        '{% extends "default:query.html" %}{% block title %}My query{% endblock %}')
    make_datasette(db_path)  # registers the plugin, as `wixarchive serve` does
    c = Client(Datasette(files=[str(db_path)], template_dir=str(templates)))
    try:
        assert "<p>My own rows</p>" in c.get("/arch/posts").text
        row = c.get("/arch/sites/1").text
        assert "<p>My row</p>" in row and title(row) == "sites 1 – arch"
        assert title(c.get("/arch/recent_posts").text) == "My query"
    finally:
        c.close()


def test_a_column_the_posts_table_does_not_sort_by_keeps_its_menu_without_sorting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big archive's posts table (here: the threshold lowered to 1 post) sorts only by
    columns an index keeps in order (metadata.SORTABLE_POSTS); Datasette gives a ⚙ menu only to
    a heading holding a link, so title, author, language... lost theirs (hide the column,
    facet by it, its description). Each has its menu back, its sort items hidden (the server
    refuses that sort); a sortable column's menu sorts."""
    from test_web_security import browser

    monkeypatch.setenv("WIXARCHIVE_SORT_EVERY_COLUMN_BELOW", "1")  # read by the server started
    db = make_archive(tmp_path / "arch.db", extra=3)
    with running_server(db) as (_, base), browser(tmp_path) as tools:
        load(tools, f"{base}arch/posts")
        menu = """(column => {
            document.querySelector(`th[data-column="${column}"] .dropdown-menu-icon`).dispatchEvent(
                new MouseEvent('click', {bubbles: true}));
            const shown = sel => {
                const item = document.querySelector('.dropdown-menu ' + sel);
                return !!item && getComputedStyle(item.parentNode).display !== 'none'; };
            return [shown('.dropdown-sort-asc'), shown('.dropdown-sort-desc'),
                    shown('.dropdown-hide-column')]; })"""
        assert tools.evaluate(f"{menu}('title')") == [False, False, True]
        assert tools.evaluate(f"{menu}('author')") == [False, False, True]
        assert tools.evaluate(f"{menu}('published')") == [True, True, True]
        assert tools.evaluate(f"{menu}('recorded_at')") == [True, True, True]  # v27's index
        # The title heading is no link (nothing to follow, nothing in the tab order).
        assert tools.evaluate(
            "document.querySelector('th[data-column=\"title\"] a').hasAttribute('href')") is False
