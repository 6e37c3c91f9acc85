"""The post body from the blog app's embedded state, for a post page whose body the DOM lacks.

Wix serves the blog app's data for the post page in `<script id="wix-warmup-data">`: under
`appsWarmupData`, a key naming the post page (`OldPostPageWarmupData-<slug>` in the real pages)
holds a JSON string whose `postPage.post.richContent` is the post's Ricos document (the public
ricos-schema: nodes of PARAGRAPH, HEADING, TEXT…). A page whose rendered body is empty (a
client-rendered or half-saved page) still carries it, so the body is rebuilt from it as the
markup Ricos would render and read by the same walk as a rendered body. A rendered body is
completed from it where Ricos's viewer renders less than the post holds (collapsed answers,
polls, embeds, maps: `complete_from_document`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from html import escape
from typing import Any

from lxml import etree

from crawler.extract.limits import settable

# The script is cut out before parsing (page.drop_raw_text), so it is read from the bytes.
_WARMUP = re.compile(
    rb"<script[^>]{0,300}\bid=[\"']?wix-warmup-data[\"']?[^>]{0,300}>(.*?)</script", re.S | re.I)
_MAX_DEPTH = 40  # Ricos nests a few levels (list > item > paragraph > text); deeper is broken
_MEDIA = "https://static.wixstatic.com/media/"
_BLOCK_TAGS = {"PARAGRAPH": "p", "BLOCKQUOTE": "blockquote", "CODE_BLOCK": "pre"}
_LIST_TAGS = {"BULLETED_LIST": "ul", "ORDERED_LIST": "ol"}


def find_rich_content(raw: bytes) -> dict[str, Any] | None:
    """The post page's Ricos document from the page's warmup data, or None."""
    match = _WARMUP.search(raw)
    if match is None:
        return None
    try:
        warmup = json.loads(match.group(1))
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return None
    apps = warmup.get("appsWarmupData") if isinstance(warmup, dict) else None
    for app in apps.values() if isinstance(apps, dict) else ():
        for key, value in app.items() if isinstance(app, dict) else ():
            if "PostPageWarmupData" not in key:
                continue
            try:
                data = json.loads(value) if isinstance(value, str) else value
            except (ValueError, RecursionError):
                continue
            content = _post_content(data)
            if content is not None:
                return content
    return None


def _post_content(data: Any) -> dict[str, Any] | None:
    """`postPage.post.richContent` under `data` (one build) or `postPageResponse.data` (another)."""
    for holder in (data, data.get("postPageResponse") if isinstance(data, dict) else None):
        found: Any = holder
        for key in ("data", "postPage", "post", "richContent"):
            found = found.get(key) if isinstance(found, dict) else None
        if isinstance(found, dict) and isinstance(found.get("nodes"), list):
            return found
    return None


def rich_content_html(content: dict[str, Any]) -> etree._Element:
    """The Ricos document as the markup its viewer renders (blocks, lists, images), in a <div>."""
    out: list[str] = []
    _nodes(content.get("nodes") or [], out, 0)
    return etree.fromstring(f"<div>{''.join(out)}</div>", etree.HTMLParser(encoding=None))


def _nodes(nodes: list[Any], out: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    for node in nodes:
        if isinstance(node, dict):
            _node(node, out, depth)


def _node(node: dict[str, Any], out: list[str], depth: int) -> None:
    # A type of another shape (a list) is none: unhashable, it failed the lookups below.
    kind = node.get("type") if isinstance(node.get("type"), str) else None
    children = node.get("nodes") if isinstance(node.get("nodes"), list) else []
    if kind == "TEXT":
        text = _dict(node.get("textData")).get("text")
        if isinstance(text, str):
            out.append(escape(text, quote=False).replace("\n", "<br>"))
    elif kind == "HEADING":
        level = _dict(node.get("headingData")).get("level")
        tag = f"h{level}" if level in (1, 2, 3, 4, 5, 6) else "h2"
        _wrapped(tag, children, out, depth)
    elif kind in _BLOCK_TAGS:
        _wrapped(_BLOCK_TAGS[kind], children, out, depth)
    elif kind in _LIST_TAGS:
        _wrapped(_LIST_TAGS[kind], children, out, depth)
    elif kind == "LIST_ITEM":
        _wrapped("li", children, out, depth)
    elif kind == "IMAGE":
        media_id = _dict(_dict(_dict(node.get("imageData")).get("image")).get("src")).get("id")
        if isinstance(media_id, str) and media_id and "/" not in media_id:
            out.append(f'<figure><img src="{escape(_MEDIA + media_id)}"></figure>')
    else:  # containers (collapsible lists, tables, layouts) and plugins: their text, in order
        _nodes(children, out, depth + 1)


def _dict(value: Any) -> dict[str, Any]:
    """`value` when it is an object, else an empty one: a field of another shape than the
    schema's is read as missing (an exception would lose the whole post, not its body)."""
    return value if isinstance(value, dict) else {}


def _wrapped(tag: str, children: list[Any], out: list[str], depth: int) -> None:
    out.append(f"<{tag}>")
    _nodes(children, out, depth + 1)
    out.append(f"</{tag}>")


def _blocks(content: dict[str, Any], wanted: Callable[[dict[str, Any]], bool]
            ) -> Iterator[dict[str, Any]]:
    """The document's nodes that are `wanted`, in order, at any depth up to _MAX_DEPTH; a
    wanted node's own nodes are not searched."""
    def visit(nodes: Any, depth: int) -> Iterator[dict[str, Any]]:
        for node in nodes if isinstance(nodes, list) and depth <= _MAX_DEPTH else ():
            node = _dict(node)
            if wanted(node):
                yield node
            else:
                yield from visit(node.get("nodes"), depth + 1)

    return visit(content.get("nodes"), 0)


def collapsible_items(content: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each collapsible-list item of the document, in order: the id of its title's last block
    and its answer's nodes. Ricos's viewer renders an item's answer only while it is expanded
    (plugin-collapsible-list's CollapsibleListPair), so the served HTML lacks the collapsed
    ones; the document has them all."""
    items: list[tuple[str, list[dict[str, Any]]]] = []
    for node in _blocks(content, lambda node: node.get("type") == "COLLAPSIBLE_ITEM"):
        children = node.get("nodes")
        parts = {_dict(part).get("type"): _dict(part).get("nodes")
                 for part in children if isinstance(part, dict)} \
            if isinstance(children, list) else {}
        title, answer = parts.get("COLLAPSIBLE_ITEM_TITLE"), parts.get("COLLAPSIBLE_ITEM_BODY")
        if isinstance(title, list) and title and isinstance(answer, list):
            anchor = _dict(title[-1]).get("id")
            if isinstance(anchor, str) and anchor:
                items.append((anchor, [n for n in answer if isinstance(n, dict)]))
    return items


# What the served HTML of a Ricos body shows incompletely, named in the document's JSON: a
# collapsible item's answer, a poll's data, an embed's (a social post's, a page's), a map's.
_INCOMPLETE_MARKS = (b"COLLAPSIBLE_ITEM_BODY", b"pollData", b"linkPreviewData", b"embedData",
                     b"mapSettings")
COLLAPSED_ANSWERS_NOTE = ("collapsed answers of a collapsible list read from the page's "
                          "embedded post data (warmup data): its HTML shows only their titles")
EMBEDS_NOTE = ("an embedded post or page named from the page's embedded post data (warmup "
               "data): its HTML shows only an empty frame")
MAPS_NOTE = ("a map's place read from the page's embedded post data (warmup data): its HTML "
             "shows the map's own controls or nothing")
POLLS_NOTE = ("a poll read from the page's embedded post data (warmup data): its question and "
              "every option, without the HTML's results")


def complete_from_document(body: etree._Element, html: str | bytes) -> list[str]:
    """Complete the rendered `body` from the page's Ricos document where its viewer renders
    less than the post holds; a note for each kind of completion made.

    Ricos gives every block it renders the id `viewer-<node id>` (all 174 nodes of the
    documents of the 3 real posts that carry one), which places a node of the document in the
    HTML. A collapsible list's answers none of whose blocks is in the HTML (the viewer renders
    an answer only while it is expanded) are put after their item's title; a poll (shown with
    its first four options only, and once its results load, percentages and vote counts in
    them) becomes its question and all its options; an embed (a social post or a page, shown
    by a script in a frame the HTML holds empty) becomes a link to what it embeds, named by
    its title; a map (Google's, drawn by a script: nothing served, its controls and credits
    once rendered) becomes its place's name and address. The page is searched for the document
    only when its warmup script names one of those at all."""
    # Only the warmup script is searched for the marks: Wix puts it near the page's end, so it
    # is found from there (a whole-page search for each mark cost ~1.5 ms a page).
    if isinstance(html, str):
        start = html.rfind("wix-warmup-data")
        script = html[start:html.find("</script", start)] if start >= 0 else ""
        found = any(mark.decode() in script for mark in _INCOMPLETE_MARKS)
    else:
        html = bytes(html)
        start = html.rfind(b"wix-warmup-data")
        end = html.find(b"</script", start)
        found = start >= 0 and any(html.find(mark, start, end) >= 0 for mark in _INCOMPLETE_MARKS)
    if not found:
        return []
    content = find_rich_content(html.encode("utf-8", "replace") if isinstance(html, str)
                                else html)
    if content is None:
        return []
    rendered = {el.get("id"): el for el in body.iter(etree.Element) if el.get("id")}
    notes = []
    if _add_collapsed_answers(rendered, content):
        notes.append(COLLAPSED_ANSWERS_NOTE)
    if _replace_polls(rendered, content):
        notes.append(POLLS_NOTE)
    if _name_embeds(rendered, content):
        notes.append(EMBEDS_NOTE)
    if _place_maps(rendered, content):
        notes.append(MAPS_NOTE)
    return notes


def _add_collapsed_answers(rendered: dict[str, etree._Element], content: dict[str, Any]) -> int:
    added = 0
    for anchor_id, answer in collapsible_items(content):
        ids = [node.get("id") for node in answer if isinstance(node.get("id"), str)]
        anchor = rendered.get(f"viewer-{anchor_id}")
        if anchor is None or not ids or any(f"viewer-{i}" in rendered for i in ids):
            continue
        markup = rich_content_html({"nodes": answer}).find(".//div")
        if markup is not None and len(markup):
            anchor.addnext(markup)
            added += 1
    return added


def _replace_polls(rendered: dict[str, etree._Element], content: dict[str, Any]) -> int:
    replaced = 0
    for node_id, title, options in polls(content):
        block = rendered.get(f"viewer-{node_id}")
        if block is None or not options:
            continue
        for child in list(block):
            block.remove(child)
        block.text = None
        if title:
            etree.SubElement(block, "p").text = settable(title)
        items = etree.SubElement(block, "ul")
        for option in options:
            etree.SubElement(items, "li").text = settable(option)
        replaced += 1
    return replaced


_SHOWS_ANYTHING = etree.XPath("boolean(descendant-or-self::*[normalize-space(text())] | "
                              "descendant::a[@href] | descendant::img)")


def _name_embeds(rendered: dict[str, etree._Element], content: dict[str, Any]) -> int:
    named = 0
    for node_id, url, title in embeds(content):
        block = rendered.get(f"viewer-{node_id}")
        if block is None or _SHOWS_ANYTHING(block):
            continue
        for child in list(block):
            block.remove(child)
        link = etree.SubElement(etree.SubElement(block, "p"), "a", href=settable(url))
        link.text = settable(title or url)
        named += 1
    return named


def embeds(content: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each embed of the document (a link preview shown as the linked post itself, `html` in
    its data; an oEmbed block): its node's id, the address it embeds and its title."""
    found: list[tuple[str, str, str]] = []
    for node in _blocks(content, lambda node: node.get("type") == "EMBED" or (
            node.get("type") == "LINK_PREVIEW"
            and bool(_dict(node.get("linkPreviewData")).get("html")))):
        if node.get("type") == "LINK_PREVIEW":
            preview = _dict(node.get("linkPreviewData"))
            url, title = _dict(preview.get("link")).get("url"), preview.get("title")
        else:
            oembed = _dict(_dict(node.get("embedData")).get("oembed"))
            url = oembed.get("url") or _dict(node.get("embedData")).get("src")
            title = oembed.get("title") or oembed.get("authorName")
        node_id = node.get("id")
        if isinstance(node_id, str) and isinstance(url, str) and \
                url.startswith(("https://", "http://")):
            found.append((node_id, url, " ".join(title.split())
                          if isinstance(title, str) else ""))
    return found


def _place_maps(rendered: dict[str, etree._Element], content: dict[str, Any]) -> int:
    placed = 0
    for node_id, lines in maps(content):
        block = rendered.get(f"viewer-{node_id}")
        if block is None:
            continue
        for child in list(block):
            block.remove(child)
        block.text = None
        paragraph = etree.SubElement(block, "p")
        paragraph.text = settable(lines[0])
        for line in lines[1:]:
            etree.SubElement(paragraph, "br").tail = settable(line)
        placed += 1
    return placed


def maps(content: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Each map of the document: its node's id and its place's lines (name, address)."""
    found: list[tuple[str, list[str]]] = []
    for node in _blocks(content, lambda node: node.get("type") == "MAP"):
        settings = _dict(_dict(node.get("mapData")).get("mapSettings"))
        lines = [" ".join(value.split()) for value in
                 (settings.get("locationName"), settings.get("address"))
                 if isinstance(value, str) and value.strip()]
        if lines and lines[0] == lines[-1]:
            lines = lines[:1]  # Ricos names a place by its address when given no name
        if isinstance(node.get("id"), str) and lines:
            found.append((node["id"], lines))
    return found


def polls(content: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """Each poll of the document: its node's id, its question and its options' titles."""
    def text(value: Any) -> str:
        return " ".join(value.split()) if isinstance(value, str) else ""

    def poll(node: dict[str, Any]) -> dict[str, Any]:
        return _dict(_dict(node.get("pollData")).get("poll"))

    return [(node["id"], text(poll(node).get("title")),
             [t for t in (text(_dict(o).get("title")) for o in poll(node)["options"]) if t])
            for node in _blocks(content, lambda node: node.get("type") == "POLL"
                                and isinstance(node.get("id"), str)
                                and isinstance(poll(node).get("options"), list))]
