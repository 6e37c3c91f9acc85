"""The archived images, videos and documents an export writes as files, made safe to publish.

A Markdown export goes into a Hugo or Jekyll site, and WXR's --images-url copies onto a web
server: either serves the copies from the site's own origin, where a browser opening an SVG
(or HTML) file runs its scripts with the site's cookies and storage. A crawled site may be
hostile, so an exported copy is never active content: an SVG is rewritten with what renders
only (`clean_svg`), and markup that is no SVG (HTML, XHTML, other XML) or SVG that cannot be
parsed is written as plain text (`.txt`). Either way the file's extension says what its bytes
are: an SVG saved under `.jpg` by its site becomes a cleaned `.svg`. The archive and its WARC
captures keep the original bytes; only the exported copy changes.

No well-kept Python library sanitizes SVG (nh3/ammonia and bleach clean HTML and drop SVG
whole), so this is an allowlist over lxml's parse (no network, no DTD, no entity expansion):
only known drawing elements in the SVG namespace stay, and of their attributes none that runs
code or fetches anything.
"""

from __future__ import annotations

import posixpath
import re

from lxml import etree

from archive.markup_sniff import is_markup

SVG_NS = "http://www.w3.org/2000/svg"
# Extensions a web server gives a type a browser renders as a document (running scripts in
# it): a copy may carry one only as a cleaned SVG.
ACTIVE_EXTENSIONS = frozenset({".svg", ".svgz", ".html", ".htm", ".shtml", ".xhtml", ".xht",
                               ".xml", ".xsl", ".xslt", ".mht", ".mhtml", ".hta"})
# Drawing, text, paint and filter elements: no script, foreignObject (HTML inside an SVG),
# iframe/embed/object, SVG Tiny's handler/listener, nor anything outside the SVG namespace.
_ELEMENTS = frozenset({
    "svg", "a", "g", "defs", "desc", "title", "symbol", "use", "switch", "view", "path", "rect",
    "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker", "image",
    "style", "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
    "feConvolveMatrix", "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow",
    "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge",
    "feMergeNode", "feMorphology", "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight",
    "feTile", "feTurbulence", "animate", "animateMotion", "animateTransform", "set"
})
_ANIMATIONS = frozenset({"animate", "set"})  # these can set any attribute
# A url(...) reference in CSS or a presentation attribute (fill="url(#g)"); only those to a
# fragment of the same file (#id) stay: any other fetches something or runs code.
_URL_REFERENCE = re.compile(r"url\s*\(\s*(['\"]?)\s*([^)'\"]*)", re.IGNORECASE)
_CSS_ACTIVE = re.compile(r"@import|expression\s*\(|javascript:|behavior\s*:|-moz-binding",
                         re.IGNORECASE)


def _inert_value(value: str) -> bool:
    """Whether an attribute value or CSS text references nothing outside the file and runs
    nothing."""
    if _CSS_ACTIVE.search(value):
        return False
    return all(target.startswith("#") for _, target in _URL_REFERENCE.findall(value))


def _keep_attribute(name: str, value: str) -> bool:
    local = etree.QName(name).localname.lower()
    if local.startswith("on") or local == "base":  # event handlers; xml:base
        return False
    if local in ("href", "src"):  # href, xlink:href: only a reference within the file
        return value.strip().startswith("#")
    return _inert_value(value)


def clean_svg(data: bytes) -> bytes | None:
    """The SVG document `data` keeping only what draws (see the module's docstring), or None
    when `data` is not a well-formed SVG document."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.tag != f"{{{SVG_NS}}}svg":
        return None  # a browser renders no SVG without its namespace either
    _clean_children(root)
    _clean_attributes(root)
    # The root element alone: no DOCTYPE (entities), no processing instruction (an
    # xml-stylesheet runs XSLT).
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _kept(node: etree._Element) -> bool:
    if not isinstance(node.tag, str):  # an unresolved entity (a DTD's): no text to keep
        return False
    name = etree.QName(node)
    if name.namespace != SVG_NS or name.localname not in _ELEMENTS:
        return False
    if name.localname in _ANIMATIONS:  # animating href or an on* attribute would run it
        target = (node.get("attributeName") or "").rpartition(":")[2].lower()
        return target not in ("href", "src", "base") and not target.startswith("on")
    return name.localname != "style" or _inert_value(node.text or "")


def _clean_children(parent: etree._Element) -> None:
    """Remove the children of `parent` that are not `_kept` with their content (the text
    after each stays: it is the parent's), and clean those kept in turn."""
    for node in list(parent):
        if _kept(node):
            _clean_children(node)
            continue
        if node.tail:
            previous = node.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + node.tail
            else:
                parent.text = (parent.text or "") + node.tail
        parent.remove(node)


def _clean_attributes(root: etree._Element) -> None:
    for node in root.iter():
        for attribute, value in list(node.attrib.items()):
            if not _keep_attribute(attribute, value):
                del node.attrib[attribute]


def safe_copy(name: str, data: bytes) -> tuple[str, bytes]:
    """The file name and bytes an export writes for the archived `data` it would name `name`:
    as they are unless they are markup or named as markup; then a cleaned SVG named .svg, or
    the bytes as they are named .txt (a server sends text/plain, which no browser runs)."""
    stem, extension = posixpath.splitext(name)
    if not is_markup(data) and extension.lower() not in ACTIVE_EXTENSIONS:
        return name, data
    cleaned = clean_svg(data)
    return (stem + ".svg", cleaned) if cleaned is not None else (stem + ".txt", data)
