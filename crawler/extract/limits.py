"""Bounded work per page: caps applied to the markup before libxml2 and trafilatura see it.

Every page, whatever its bytes, must extract in ≤ 3 s and ≤ 300 MB (issue #14), because one page
stalls the crawl worker that extracts it. The costs that grow without bound are the parsed tree
(libxml2 spends ~120 bytes per element or attribute, ~60x the 2 bytes an attribute can take in
the markup), libxml2's duplicate-attribute check (quadratic in one tag's attribute count), and
the trafilatura fallback (~50-100 µs of Python per element). So the markup is cut before parsing,
by C-speed counts (bytes, tags, attribute separators), and the fallback sees a bounded region.

Every cap is far above real pages: of the 33 real Wix pages of ../shared/realworld the largest
has 1.35 MB of bytes but, once script and style text are cut, 195 KB of markup, 2,700 tags,
3,100 attributes (32,600 separators in tags), 1,500 elements, 56 levels of nesting and no tag
over 5.2 KB. A cut is never silent: it adds a warning naming the limit to the record.
"""

from __future__ import annotations

import re

from lxml import etree

MAX_INPUT_BYTES = 32 * 1024 * 1024  # raw page bytes read; Wix pages are ~90% inline script
# Script, style and comment elements whose text is cut before parsing, a Python step each; real
# pages have a few hundred.
MAX_RAW_TEXT_ELEMENTS = 20_000
MAX_MARKUP_BYTES = 8 * 1024 * 1024  # what is left once script/style text is cut
MAX_TAGS = 120_000  # "<" in the markup: bounds the elements and the body walk
# Whitespace, "/" and quotes in the markup: every attribute but a tag's first needs one before
# it, so this bounds the attributes (each ~120 bytes of tree) without tokenizing the tags.
MAX_ATTRIBUTE_SEPARATORS = 400_000
# One tag's attributes: libxml2 checks each new attribute against all the tag's earlier ones.
MAX_ATTRIBUTES_PER_TAG = 1_000
LONG_TAG = 4_096  # only tags at least this long can hold that many attributes
MAX_JSON_LD_CHARS = 1024 * 1024  # a post's JSON-LD is a few KB
# The trafilatura fallback's region: the first elements in document order, and their text.
FALLBACK_MAX_ELEMENTS = 5_000
FALLBACK_MAX_CHARS = 512 * 1024  # an article is rarely over 100 KB of text

_SEPARATORS = b" \t\n\r\f/\"'"
_TAG_BODY = re.compile(rb"<[A-Za-z][^<>]*")
_TAG_NAME = re.compile(rb"<([A-Za-z][^\s/<>]*)")
_UTF8_CONTINUATION = range(0x80, 0xC0)
_LONG_RUN = re.compile(rb">[^>]{%d}" % LONG_TAG)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _cut_before_tag(data: bytes, limit: int) -> int:
    """An offset ≤ limit to cut `data` at: a "<" near the limit, else a UTF-8 character start."""
    at = data.rfind(b"<", max(0, limit - 65_536), limit)
    if at > 0:
        return at
    while limit > 0 and data[limit] in _UTF8_CONTINUATION:
        limit -= 1
    return limit


def cap_input(html: str | bytes, warnings: list[str]) -> str | bytes:
    """The page's first MAX_INPUT_BYTES (characters for text), with a warning when cut."""
    if not isinstance(html, str):
        html = bytes(html)  # bytearray, memoryview; no copy for bytes
    if len(html) > MAX_INPUT_BYTES:
        warnings.append(
            f"page over the {_mb(MAX_INPUT_BYTES)} limit: only its first {_mb(MAX_INPUT_BYTES)} "
            "were read"
        )
        if isinstance(html, str):
            html = html[:MAX_INPUT_BYTES]
        else:
            html = html[:MAX_INPUT_BYTES]
            # A UTF-16/32 page must keep whole code units; 4 bytes suits both.
            html = html[: len(html) - len(html) % 4]
    return html


def bound_markup(data: bytes, warnings: list[str]) -> bytes:
    """`data` (UTF-8 or ASCII-compatible markup, script text already cut) within the caps.

    Pages within every cap come back as they are, after a count and a split.
    """
    if len(data) > MAX_MARKUP_BYTES:
        data = data[: _cut_before_tag(data, MAX_MARKUP_BYTES)]
        warnings.append(
            f"markup over the {_mb(MAX_MARKUP_BYTES)} limit (scripts and styles excluded): "
            "the page was cut there"
        )
    tags = data.count(b"<")
    if tags > MAX_TAGS:
        data = data[: _nth(data, b"<", MAX_TAGS)]
        warnings.append(f"{tags:,} tags, over the {MAX_TAGS:,} limit: the page was cut there")
    data = _limit_attributes_per_tag(data, warnings)
    # Only a page with that many bytes can hold that many separators.
    if len(data) > MAX_ATTRIBUTE_SEPARATORS:
        separators = len(data) - len(data.translate(None, _SEPARATORS))
        if separators > MAX_ATTRIBUTE_SEPARATORS:
            data = _limit_attributes(data, warnings)
    return data


def _nth(data: bytes, needle: bytes, n: int) -> int:
    """Offset of the n-th (1-based) `needle` in `data`, which has more than n of them."""
    # Counted in blocks at C speed, then located within the block.
    pos, seen, block = 0, 0, 1 << 16
    while True:
        count = data.count(needle, pos, pos + block)
        if seen + count >= n:
            break
        seen += count
        pos += block
    at = pos - 1
    for _ in range(n - seen):
        at = data.find(needle, at + 1)
    return at


def _limit_attributes_per_tag(data: bytes, warnings: list[str]) -> bytes:
    """Tags with more than MAX_ATTRIBUTES_PER_TAG attributes lose all their attributes.

    Only a tag of LONG_TAG bytes can hold that many, and it is the end of a piece of `data`
    split at ">": one C-speed split and a length test per piece (a regex over every tag cost
    more than the rest of the bounding).
    """
    if len(data) < LONG_TAG:
        return data
    # Such a tag lies in a run of LONG_TAG bytes without ">": one C-level regex scan rules that
    # out on nearly every page before the split and the Python step per piece.
    first = data.find(b">")
    if (first if first >= 0 else len(data)) < LONG_TAG and not _has_long_run(data):
        return data
    pieces = data.split(b">")
    changed = False
    for i, piece in enumerate(pieces):
        if len(piece) < LONG_TAG:
            continue
        start = piece.rfind(b"<")
        name = _TAG_NAME.match(piece, start) if start >= 0 else None
        if name is None or len(piece) - start < LONG_TAG:
            continue
        tag = piece[start:]
        if len(tag) - len(tag.translate(None, _SEPARATORS)) <= MAX_ATTRIBUTES_PER_TAG:
            continue
        pieces[i] = piece[:start] + b"<" + name.group(1)
        changed = True
        warnings.append(
            f"a <{name.group(1).decode('latin-1')[:40]}> tag over the "
            f"{MAX_ATTRIBUTES_PER_TAG:,}-attribute limit lost its attributes"
        )
    return b">".join(pieces) if changed else data


_BLOCK = LONG_TAG // 2


def _has_long_run(data: bytes) -> bool:
    """Whether _LONG_RUN matches: a ">" then LONG_TAG bytes without one. Such a run holds a
    whole aligned block of LONG_TAG / 2 bytes with no ">", so one memchr a block finds the
    only places to look, and the run around each such block is measured by two more (the
    regex took ~17 instructions a byte, a tenth of the bounding's cost)."""
    find, size = data.find, len(data)
    start = 0
    while start < size:
        if find(b">", start, start + _BLOCK) >= 0:
            start += _BLOCK
            continue
        before = data.rfind(b">", 0, start)
        after = find(b">", start)
        if before >= 0 and (after if after >= 0 else size) - before - 1 >= LONG_TAG:
            return True
        if after < 0:
            return False
        start = (after // _BLOCK + 1) * _BLOCK  # the rest of this run is measured already
    return False


def _limit_attributes(data: bytes, warnings: list[str]) -> bytes:
    """Cut the page at the tag where the attribute separators in tags pass the limit.

    Only pages with that many separators in all (text included) get here: the per-tag walk
    costs a Python step per tag, bounded by MAX_TAGS.
    """
    total = 0
    for match in _TAG_BODY.finditer(data):
        tag = match.group()
        total += len(tag) - len(tag.translate(None, _SEPARATORS))
        if total > MAX_ATTRIBUTE_SEPARATORS:
            warnings.append(
                f"attributes over the limit ({MAX_ATTRIBUTE_SEPARATORS:,} separators in tags): "
                "the page was cut there"
            )
            return data[: match.start()]
    return data


# libxml2 keeps control characters the page spells out ("&#1;", a raw \x0b) in its text, but
# lxml refuses to set them back: text moved within a tree must lose them first.
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def settable(text: str) -> str:
    """`text` as lxml accepts it for .text or .tail (fuzzing found pages that broke this)."""
    return _NOT_XML_CHARS.sub("", text)


_RESOURCE_LIMIT = (etree.ErrorTypes.ERR_RESOURCE_LIMIT,)


def parser_limits(parser: etree.HTMLParser, warnings: list[str]) -> None:
    """Warn when libxml2 stopped at one of its own limits (2,048 levels of nesting)."""
    for error in parser.error_log.filter_types(_RESOURCE_LIMIT):
        warnings.append(f"parsing stopped at a libxml2 limit: {error.message.split(',')[0]}")
        return


def fallback_region(root: etree._Element, warnings: list[str]) -> etree._Element:
    """`root` cut to its first FALLBACK_MAX_ELEMENTS elements and FALLBACK_MAX_CHARS of text.

    trafilatura costs Python time per element and copies every text; the region is far larger
    than any article. The tree is cut in place (the caller does not use it afterwards): the
    element where a limit is reached keeps what text fits, and everything after it goes.
    """
    elements = chars = 0
    for el in root.iter():
        text, tail = el.text or "", el.tail or ""
        if elements >= FALLBACK_MAX_ELEMENTS or chars + len(text) + len(tail) > FALLBACK_MAX_CHARS:
            break
        elements += 1
        chars += len(text) + len(tail)
    else:
        return root
    el.text = settable(text[: max(0, FALLBACK_MAX_CHARS - chars)])
    el.tail = None
    for child in list(el):
        el.remove(child)
    node = el
    while (parent := node.getparent()) is not None:
        del parent[parent.index(node) + 1 :]  # the tails of removed elements go with them
        node = parent
    warnings.append(
        f"page too large for the fallback: trafilatura read its first {elements:,} elements "
        f"(limits: {FALLBACK_MAX_ELEMENTS:,} elements, {_mb(FALLBACK_MAX_CHARS)} of text)"
    )
    return root
