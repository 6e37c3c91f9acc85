"""The article page and its archived files in a real headless Chromium (tests/devtools.py):
an archived sound and video play in the browser's own player, a PDF opens in its viewer, with
nothing asked of any host but the archive's (Chromium's proxy is a loopback sink); and the page
fits a phone's width with the body's lists, quotes and code formatted."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from devtools import LOAD_TIMEOUT, DevTools
from test_web import YOGA, article
from test_web_article import make_media_archive
from test_web_images import proxy_sink
from test_web_serve import running_server
from webarchives import table

from archive.store import Archive

pytest.importorskip("datasette")

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": False}
LONG_SLUG = "tending" + "thegardenbythebackgate" * 5  # no hyphen: nowhere to break


def requests_made(tools: DevTools) -> list[str]:
    return [e["params"]["request"]["url"] for e in tools.events
            if e.get("method") == "Network.requestWillBeSent"]


def open_page(tools: DevTools, url: str, requested: list[str] | None = None) -> None:
    """Load `url`; the requests made since the last load are added to `requested`."""
    if requested is not None:
        requested += requests_made(tools)
    tools.events.clear()
    tools.call("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired")


def wait_until(tools: DevTools, expression: str) -> Any:
    """The value of `expression` once it is truthy (evaluated every 0.1 s), else the last."""
    deadline = time.monotonic() + LOAD_TIMEOUT
    value = tools.evaluate(expression)
    while not value and time.monotonic() < deadline:
        tools.pump(0.1)
        value = tools.evaluate(expression)
    return value


def evaluate_in(tools: DevTools, target_id: str, expression: str) -> Any:
    """`expression`'s value in another target (a frame of Chromium's PDF viewer)."""
    session = tools.call("Target.attachToTarget", targetId=target_id, flatten=True)["sessionId"]
    try:
        tools.next_id += 1
        tools.ws.send(json.dumps({"id": tools.next_id, "sessionId": session,
                                  "method": "Runtime.evaluate",
                                  "params": {"expression": expression, "returnByValue": True}}))
        while True:
            message = json.loads(tools.ws.recv())
            if message.get("id") == tools.next_id:
                return message.get("result", {}).get("result", {}).get("value")
            tools.events.append(message)
    finally:
        tools.call("Target.detachFromTarget", sessionId=session)


def media_answers(tools: DevTools) -> list[tuple[int, str | None]]:
    """The status and Content-Range of each answer to the player's loads since the last page
    load (the player asks for `bytes=0-` and seeks with further ranges)."""
    answers = []
    for event in tools.events:
        if event.get("method") == "Network.responseReceived" and \
                event["params"].get("type") == "Media":
            response = event["params"]["response"]
            headers = {name.lower(): value for name, value in response["headers"].items()}
            answers.append((response["status"], headers.get("content-range")))
    return answers


def policy_messages(tools: DevTools) -> list[str]:
    return [e["params"]["entry"]["text"] for e in tools.events
            if e.get("method") == "Log.entryAdded"
            and "Content Security Policy" in e["params"]["entry"]["text"]]


PLAYER = """(() => { const v = document.querySelector('video');
  return v && v.readyState >= 1 ? {duration: v.duration, error: v.error && v.error.code} : null;
})()"""
# Chromium's PDF viewer (an extension frame): the pages of the document it loaded.
PDF_PAGES = ("(() => { const v = document.querySelector('pdf-viewer'); "
             "return v && v.docLength_; })()")


def test_archived_sound_video_and_pdf_open_from_the_archive_in_chromium(tmp_path: Path) -> None:
    from test_web_security import browser

    db, urls = make_media_archive(tmp_path)
    with proxy_sink() as (proxy, seen), running_server(db) as (_, base), \
            browser(tmp_path, f"--proxy-server=http://{proxy}") as tools:
        for domain in ("Network", "Log"):
            tools.call(f"{domain}.enable")
        requested: list[str] = []
        ids = dict(table(db, "SELECT url, id FROM posts"))

        def body_links(post_url: str) -> dict[str, str]:
            open_page(tools, f"{base}archive/-/post/{ids[post_url]}", requested)
            return tools.evaluate("""Object.fromEntries([...document.querySelectorAll(
                '.wxa-body a')].map(a => [a.textContent.trim(), a.href]))""")

        links = body_links(urls["document_post"])
        sound, pdf = links["the tone"], links["the PDF"]
        video = body_links(urls["video_post"])[urls["video"]]
        assert all(link.startswith(f"{base}archive/-/media/") for link in (sound, video, pdf))

        # The sound plays: the player loaded it and knows its length (half a second).
        open_page(tools, sound, requested)
        played = wait_until(tools, PLAYER)
        assert played and abs(played["duration"] - 0.5) < 0.01, (played, policy_messages(tools))
        assert not policy_messages(tools)
        # It loaded by byte ranges (Safari plays nothing served without them).
        answers = media_answers(tools)
        assert answers and all(status == 206 and content_range.startswith("bytes 0-")
                               for status, content_range in answers), answers

        # The sample video is only an MP4's first boxes, which no player decodes: the player
        # must still be let load it from the archive (the policy once refused that load).
        open_page(tools, video, requested)
        tools.pump(1.0)
        loads = [e["params"]["request"]["url"] for e in tools.events
                 if e.get("method") == "Network.requestWillBeSent"
                 and e["params"].get("type") == "Media"]
        assert loads == [video] and not policy_messages(tools), (loads, policy_messages(tools))
        answers = media_answers(tools)
        assert answers and all(status == 206 for status, _ in answers), answers

        # The PDF opens in Chromium's viewer, which shows its one page.
        open_page(tools, pdf, requested)
        viewer = None
        deadline = time.monotonic() + LOAD_TIMEOUT
        while viewer is None and time.monotonic() < deadline:
            tools.pump(0.2)
            viewer = next((t["targetId"] for t in tools.call("Target.getTargets")["targetInfos"]
                           if t["url"].startswith("chrome-extension://")
                           and t["url"].endswith("/index.html")), None)
        assert viewer, "no PDF viewer"
        pages = None
        while not pages and time.monotonic() < deadline:
            tools.pump(0.2)
            pages = evaluate_in(tools, viewer, PDF_PAGES)
        assert pages == 1, pages
        requested += requests_made(tools)

    # Every request the pages made was the archive's (or the browser's own), and none for a
    # host the posts name reached the sink (Chromium's own background requests do).
    outside = [url for url in requested if not url.startswith((base, "data:", "chrome"))]
    assert not outside, outside
    assert not [line for line in seen if b"wixstatic" in line or b"example.com" in line], seen


BODY = """<h2>Getting started</h2><p>First steps.</p>
<ul><li>Spade</li><li>Rake<ul><li>Small rake</li></ul></li></ul>
<ol><li>Dig</li><li>Plant</li></ol>
<blockquote><p>The spade keeps its own calendar.</p></blockquote>
<figure><p>A figure.</p><figcaption>What the figure shows</figcaption></figure>
<h3>Code</h3><pre><code>for bed in beds:
    water(bed)</code></pre><h4>Notes</h4>
<p>See https://example.com/an/unbroken/path/that/is/much/longer/than/a/phone/screen/is/wide/ok
and <code>inline</code>.</p>"""

STYLES = """(() => {
  const style = (selector, ...names) => {
    const s = getComputedStyle(document.querySelector('.wxa-body ' + selector));
    return names.map(n => s.getPropertyValue(n)); };
  return {
    width: [document.documentElement.scrollWidth, window.innerWidth],
    ul: style('ul > li', 'list-style-type'), nested: style('ul ul > li', 'list-style-type'),
    ol: style('ol > li', 'list-style-type'),
    indent: parseFloat(style('ol', 'padding-inline-start')[0]),
    quote: style('blockquote', 'border-left-width', 'padding-left'),
    caption: parseFloat(style('figcaption', 'font-size')[0]),
    body: parseFloat(getComputedStyle(document.querySelector('.wxa-body')).fontSize),
    pre: style('pre', 'overflow-x', 'white-space'),
    headings: ['h2', 'h3', 'h4'].map(h => parseFloat(style(h, 'margin-top')[0])),
  };
})()"""


def test_the_article_fits_a_phone_and_formats_lists_quotes_and_code(tmp_path: Path) -> None:
    from test_web_security import browser

    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        for n, title in enumerate(("Tending the garden", "Tending the garden, revised with a "
                                   "much longer title than before")):
            archive.save_article(article(YOGA, LONG_SLUG, title=title, body_html=BODY + "x" * n,
                                         body_text=f"Body {n}."),
                                 fetched_at=f"2024-0{n + 1}-01T00:00:00+00:00")
    with running_server(db) as (_, base), browser(tmp_path) as tools:
        tools.call("Emulation.setDeviceMetricsOverride", **PHONE)
        for query in ("", "?version=1"):
            open_page(tools, f"{base}blogs/-/post/1{query}")
            found = tools.evaluate(STYLES)
            scroll, width = found["width"]
            assert scroll <= width, (query, found)  # no sideways scrolling on a phone
            assert found["ul"] == ["disc"] and found["nested"] == ["circle"], found
            assert found["ol"] == ["decimal"] and found["indent"] >= 20, found
            assert found["quote"][0] == "4px" and float(found["quote"][1][:-2]) > 0, found
            assert found["caption"] < found["body"], found
            assert found["pre"] == ["auto", "pre"], found
            assert all(margin >= 16 for margin in found["headings"]), found
