"""A post body's videos and documents: the files and players it links or embeds, by URL.

Images have their own walk (crawler.extract.body); this records what else a post holds so the
archive can list it and, on request, keep a copy (crawler.media_kinds). Only URLs are read here:
what Wix puts in the served HTML, generalised from the real pages in ../shared/realworld/html:

- Ricos video blocks (`figure[data-hook=figure-VIDEO]`, `[data-hook=video-player]`,
  `[data-hook=reactPlayerWrapper]`): a `<video>`/`<source>` or `<iframe>` where the player is
  rendered, else only react-player's preview, whose background is the YouTube thumbnail
  (`i.ytimg.com/vi/<id>/…`), which names the video. A block with no URL in the HTML at all
  (the player fetched it later in the browser) has nothing to record.
- `<wix-video data-video-info>`: Wix-hosted video, its encodings listed with their paths on
  video.wixstatic.com; the largest is kept (full size, as for images).
- `<iframe>` embeds of YouTube and Vimeo players (pages, not files: recorded, never fetched),
  by `src` or, as Wix's editor elements lazy-load them (`<wix-iframe>`), by `data-src`.
- Links to files: Wix's document host (`<uuid>.usrfiles.com/ugd/…`, older `*.filesusr.com/ugd/…`,
  a site's own `/_files/ugd/…`) and any link whose path ends in a document or video file
  extension. A plain text link to a YouTube page is a link, not an embedded video: left alone.

`media_not_in_html` counts the body's video and gallery blocks that hold no media at all in the
served HTML (an older blog build's gallery, a player that had not loaded: the browser's script
fills them), so the extraction can say the post's copy lacks them rather than drop them unseen.

Element-built post pages (crawler.extract.elements) have no single body element: their body is
the run of elements after the title element up to where the walk ended it, and
`find_element_attachments` reads that range. A section's or column's background video there
(`<wix-video>` in Wix's `bgLayers` of a section, strip or column) is site design, not the post.

Pure: an lxml element and a base URL in, a list of dicts out (the Article's `attachments`).
It reads the body before the walk in crawler.extract.body, which detaches nested lists.
"""

from __future__ import annotations

import json
import mimetypes
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from crawler.clean.html import safe_url

VIDEO = "video"
DOCUMENT = "document"
WIX_VIDEO = "https://video.wixstatic.com/"
_VIDEO_HOOKS = frozenset(("reactPlayerWrapper", "video-player", "videoViewer", "figure-VIDEO",
                          "video-iframe-placeholder"))
_GALLERY_HOOKS = frozenset(("galleryViewer", "gallery-viewer"))
GALLERY = "gallery"
_MEDIA_BLOCK_HOOKS = _VIDEO_HOOKS | _GALLERY_HOOKS
# Anything in a block that names a medium: an element of one, a source, a link, a CSS image.
_HOLDS_MEDIA = etree.XPath(
    "boolean(@src | @data-src | .//img | .//video | .//iframe | .//source | .//embed | .//object"
    " | .//wix-video | .//wix-iframe | .//wix-image | .//wow-image | .//*[@data-src] | .//a[@href]"
    " | .//@style[contains(., 'url(')])")
# The owners of background layers whose video is design: sections, strips, columns, the page.
_BACKGROUND_OWNERS = ("wixui-section", "wixui-column-strip", "wixui-strip", "wixui-page")
_TAGS = ("a", "iframe", "wix-iframe", "video", "source", "wix-video", "embed", "object")
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".rtf": "application/rtf",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".epub": "application/epub+zip",
    ".zip": "application/zip",
}
VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm",
               ".mov": "video/quicktime", ".ogv": "video/ogg"}
_FILE_SUFFIXES = frozenset(DOCUMENT_TYPES) | frozenset(VIDEO_TYPES)
# Every URL classify_file or player accepts without a file suffix holds one of these (percent-
# encoded paths aside, which Wix never uses for them).
_MEDIA_MARKERS = ("/ugd/", "video.wixstatic.com", "youtu", "vimeo.com")
_YOUTUBE_ID = re.compile(r"^[\w-]{6,20}$")
_YTIMG = re.compile(r"i\.ytimg\.com/vi(?:_webp)?/([\w-]{6,20})/")
_QUALITY = re.compile(r"(\d+)p")
# The attribute axis: ~3x faster than testing every element's @style (which cost more than
# the rest of this module together on real bodies).
# Giphy's MP4 of a GIF, which Ricos's GIF block plays as a silent loop (`<video role="img">`,
# plugin-giphy's GiphyViewer: `originalMp4`); the same folder holds the GIF (`originalUrl`).
_GIPHY_MP4 = re.compile(r"^(https://(?:media\d*|i)\.giphy\.com/media/[\w-]+/)giphy\.mp4$")
THUMBNAIL_STYLES = etree.XPath(".//@style[contains(., 'ytimg.com/vi')]")


def attachment(url: str, kind: str, content_type: str | None, is_file: bool) -> dict[str, Any]:
    """One record: `is_file` False for a player page (YouTube, Vimeo), which is never fetched."""
    return {"url": url, "kind": kind, "content_type": content_type, "is_file": is_file}


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    return name[name.rfind("."):] if "." in name else ""


def classify_file(url: str) -> dict[str, Any] | None:
    """A link's target as a document or video file, or None when it names neither."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path
    suffix = _suffix(path)
    if suffix in VIDEO_TYPES or (host == "video.wixstatic.com" and path.startswith("/video/")):
        return attachment(url, VIDEO, VIDEO_TYPES.get(suffix, "video/mp4"), True)
    wix_document = (path.startswith("/ugd/") and host.endswith(("usrfiles.com", "filesusr.com"))
                    or "/_files/ugd/" in path)
    if suffix in DOCUMENT_TYPES or wix_document:
        content_type = DOCUMENT_TYPES.get(suffix) or (
            mimetypes.guess_type(path)[0] if suffix else None)
        return attachment(url, DOCUMENT, content_type, True)
    return None


def player(url: str) -> dict[str, Any] | None:
    """A YouTube or Vimeo player URL as the video's page (its canonical watch URL)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    segments = [s for s in parts.path.split("/") if s]
    video_id = None
    if host in ("youtube.com", "youtube-nocookie.com"):
        if segments[:1] in (["embed"], ["shorts"], ["live"], ["v"]) and len(segments) > 1:
            video_id = segments[1]
        elif segments == ["watch"]:
            video_id = (parse_qs(parts.query).get("v") or [None])[0]
    elif host == "youtu.be" and segments:
        video_id = segments[0]
    if video_id and _YOUTUBE_ID.match(video_id):
        return attachment(f"https://www.youtube.com/watch?v={video_id}", VIDEO, None, False)
    if host in ("vimeo.com", "player.vimeo.com"):
        number = next((s for s in segments if s.isdigit()), None)
        if number:
            return attachment(f"https://vimeo.com/{number}", VIDEO, None, False)
    return None


def _wix_video(info: str | None) -> dict[str, Any] | None:
    """The largest encoding a `wix-video`'s data-video-info lists."""
    try:
        data = json.loads(info or "")
        qualities = [q for q in data.get("qualities") or [] if isinstance(q, dict)
                     and isinstance(q.get("url"), str)]
    except (ValueError, AttributeError):
        return None
    if not qualities:
        return None

    def height(quality: dict[str, Any]) -> int:
        match = _QUALITY.match(str(quality.get("quality") or ""))
        return int(match.group(1)) if match else 0

    best = max(qualities, key=height)["url"]
    url = best if best.startswith(("http://", "https://")) else WIX_VIDEO + best.lstrip("/")
    return attachment(url, VIDEO, "video/mp4", True)


def _may_be_media(href: str) -> bool:
    """A cheap look at a raw href: False only where classify_file and player would both
    give None (no file extension of ours, no Wix file or video path, no player host)."""
    lowered = href.lower()
    if any(marker in lowered for marker in _MEDIA_MARKERS):
        return True
    path = lowered.split("#", 1)[0].split("?", 1)[0]
    return _suffix(path) in _FILE_SUFFIXES


def _in_player(el: etree._Element) -> bool:
    for ancestor in el.iterancestors():
        if ancestor.get("data-hook") in _VIDEO_HOOKS or ancestor.tag == "video":
            return True
    return False


def find_element_attachments(region: etree._Element, start: etree._Element,
                             end: etree._Element | None, base: str | None
                             ) -> list[dict[str, Any]]:
    """The videos and documents of an element-built post: in the elements of `region` after
    `start` (the title element) and before `end` (where the body ended; None: the region's
    end)."""
    found: dict[str, dict[str, Any]] = {}
    for root in _elements_between(region, start, end):
        for item in find_attachments(root, base):
            found.setdefault(item["url"], item)
    return list(found.values())


def _elements_between(region: etree._Element, start: etree._Element,
                      end: etree._Element | None) -> list[etree._Element]:
    """The fewest subtrees covering what lies after `start` and before `end` in `region`: the
    later siblings of `start` and of each of its ancestors, opened only where `end` is inside."""
    holds_end = set(end.iterancestors()) if end is not None else set()
    found: list[etree._Element] = []

    def take(node: etree._Element) -> bool:
        """Add `node`, or what of it comes before `end`; False once `end` is reached."""
        while node is not end:
            if node not in holds_end:
                found.append(node)
                return True
            for child in node:  # `end` is in here: the children before it, then into its own
                if child is end or child in holds_end:
                    node = child
                    break
                found.append(child)
            else:
                return False
        return False

    node = start
    while node is not region and node is not end:
        if not all(take(sibling) for sibling in node.itersiblings()):
            break
        parent = node.getparent()
        if parent is None:
            break
        node = parent
    return found


def _background(el: etree._Element) -> bool:
    """Design, not the post: a video in the background layers (`data-hook=bgLayers`) of a
    section, strip, column or the page, as Wix renders a column's background video
    (printdreams3d). Other owners of such layers (a video box element) are the post's."""
    for ancestor in el.iterancestors():
        if ancestor.get("data-hook") == "bgLayers":
            owner = ancestor.getparent()
            if owner is None or owner.tag == "section":
                return True
            classes = owner.get("class") or ""
            return any(name in classes for name in _BACKGROUND_OWNERS) or \
                (owner.get("id") or "").startswith(("pageBackground", "SITE_BACKGROUND"))
    return False


def find_attachments(body: etree._Element, base: str | None) -> list[dict[str, Any]]:
    """The body's videos and documents in page order, each URL once."""
    found: dict[str, dict[str, Any]] = {}

    def add(item: dict[str, Any] | None) -> None:
        if item is not None and item["url"] not in found:
            found[item["url"]] = item

    for el in body.iter(*_TAGS):
        tag = el.tag
        if tag == "video" and gif_of_loop(el):
            continue  # a GIF, an image of the post
        if tag == "wix-video":
            if not _background(el):
                add(_wix_video(el.get("data-video-info")))
            continue
        raw = el.get("href") if tag == "a" else \
            el.get("src") or el.get("data-src") or el.get("data")
        if tag == "a" and raw and not _may_be_media(raw):
            continue  # most links: no URL cleaning (~40 µs a link) for them
        url = safe_url(raw, base) if raw and not raw.startswith("#") else None
        if url is None or not url.startswith(("http://", "https://")):
            continue
        if tag == "a":
            item = classify_file(url)
            if item is None and (item := player(url)) is not None and not _in_player(el):
                item = None  # a text link to a video page; a player's own link is the video
            add(item)
        else:  # an embedded player or media element: a file, a known player, or nothing
            add(classify_file(url) or player(url))
    # react-player's preview before a click: its thumbnail names the YouTube video.
    for style in THUMBNAIL_STYLES(body):
        url = thumbnail_video(style)
        if url and _in_player(style.getparent()):
            add(player(url))
    return list(found.values())


def gif_of_loop(el: etree._Element) -> str | None:
    """The GIF a `<video role="img">` loops, when its source names it (Giphy's MP4 of a GIF,
    as Ricos's GIF block plays it): an image of the post, not a video."""
    if el.tag != "video" or el.get("role") != "img":
        return None
    match = _GIPHY_MP4.match((el.get("src") or "").strip())
    return match.group(1) + "giphy.gif" if match else None


def thumbnail_video(style: str) -> str | None:
    """The YouTube video whose thumbnail (`i.ytimg.com/vi/<id>/…`) a style shows as its
    background: react-player's preview, all a Ricos video block holds before a click."""
    match = _YTIMG.search(style)
    return f"https://www.youtube.com/watch?v={match.group(1)}" if match else None


def media_blocks(body: etree._Element) -> list[etree._Element]:
    """The outermost video and gallery blocks under `body` (a figure-VIDEO holds a video-player),
    in document order: no ancestor up to the document's root is one.

    A Python scan: libxml2's XPath for it (`.//*[@data-hook='…' or …][not(ancestor::*[…])]`)
    compares seven strings at every element, ~1.5 µs each, 0.3 ms of a real post's ~3 ms.
    """
    return [el for el in body.iterdescendants(etree.Element)
            if el.get("data-hook") in _MEDIA_BLOCK_HOOKS
            and not any(up.get("data-hook") in _MEDIA_BLOCK_HOOKS for up in el.iterancestors())]


def media_not_in_html(body: etree._Element) -> dict[str, int]:
    """The body's video and gallery blocks with no medium in the HTML, counted by kind."""
    counts: dict[str, int] = {}
    for block in media_blocks(body):
        if not _HOLDS_MEDIA(block):
            kind = GALLERY if block.get("data-hook") in _GALLERY_HOOKS else VIDEO
            counts[kind] = counts.get(kind, 0) + 1
    return counts


MEDIA_NOT_IN_HTML = "not in the page's HTML"


def media_warning(counts: dict[str, int]) -> str:
    """The warning for `media_not_in_html`'s counts: "the body's 2 galleries and 1 video are…"."""
    plurals = {GALLERY: "galleries", VIDEO: "videos"}
    named = [f"{n} {kind if n == 1 else plurals[kind]}" for kind, n in sorted(counts.items())]
    verb, pronoun = ("is", "it") if sum(counts.values()) == 1 else ("are", "them")
    return (f"the body's {' and '.join(named)} {verb} {MEDIA_NOT_IN_HTML} (the browser loads "
            f"{pronoun}): not archived")
