"""Lists of other posts' cards (related posts, recent posts, a feed), cut out of a region before
the generic extraction reads it: their titles and excerpts are other posts' text, never the
body, however short the post's own body is.

A card list is found by the blog app's hooks, or, without them, by structure: an element with
two or more children (cards) that each link to one other post of the blog, a different one
each, and show more than that link (an excerpt, a date, a cover image). "Another post" is a
link into the page's own folder (`/post/`, or a mirror's local copy of it) other than the page
itself; a paragraph, heading or link in running text is prose, never a card.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from lxml import etree

# The blog app's widgets made of other posts' cards.
CARD_LIST_HOOKS = frozenset({
    "related-posts-root", "post-list-item", "recent-posts", "recent-post-list-item",
    "feed-page-root",
})
# Never a card: a link in running text, or in a paragraph or heading, is prose.
_TEXT_TAGS = frozenset({"a", "span", "strong", "em", "b", "i", "u", "small", "mark", "font",
                        "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})


def _folder_and_slug(path: str) -> tuple[str, str]:
    folder, _, slug = path.rstrip("/").rpartition("/")
    return folder, slug


class _OtherPosts:
    """Tells links to the blog's other posts: into the page's own folder, not to the page."""

    def __init__(self, own_url: str) -> None:
        self.own_url = own_url
        own = urlsplit(own_url)
        self.netloc = own.netloc
        self.folder, self.slug = _folder_and_slug(own.path)

    def target(self, href: str) -> str | None:
        """The path of the other post `href` links to, or None for anything else."""
        # Posts at the site's root share their folder with every page: no structure to go by.
        if not self.folder or not href:
            return None
        try:
            target = urlsplit(urljoin(self.own_url, href))
        except ValueError:
            return None
        folder, slug = _folder_and_slug(target.path)
        if target.netloc != self.netloc or folder != self.folder or slug in ("", self.slug):
            return None
        return slug


def _card_lists(region: etree._Element, own_url: str) -> list[etree._Element]:
    """Elements of `region` holding two or more cards of other posts (see the module doc)."""
    other_posts = _OtherPosts(own_url)
    # The other posts each element's subtree links to, up to two (enough to tell one from
    # many): one pass over the links and up their ancestors, each ancestor taking at most two.
    targets: dict[etree._Element, set[str]] = {}
    for a in region.iter("a"):
        target = other_posts.target(a.get("href") or "")
        node = a if target is not None else None
        while node is not None:
            seen = targets.setdefault(node, set())
            if target in seen or len(seen) >= 2:
                break  # its ancestors know this target already, or two others
            seen.add(target)
            node = None if node is region else node.getparent()
    lists: list[etree._Element] = []
    for parent, seen in targets.items():
        if len(seen) < 2 or parent.tag in _TEXT_TAGS:
            continue
        cards = [child for child in parent if isinstance(child.tag, str) and (
            "".join(child.itertext()).strip() or child.find(".//img") is not None)]
        if len(cards) >= 2 and all(
                len(targets.get(card, ())) == 1 and card.tag not in _TEXT_TAGS
                and _shows_more_than_links(card) for card in cards) \
                and len({min(targets[card]) for card in cards}) == len(cards):
            lists.append(parent)
    return lists


def _shows_more_than_links(card: etree._Element) -> bool:
    """A cover image, or text outside the card's links (an excerpt, a date)."""
    if card.find(".//img") is not None:
        return True
    links = sum(len("".join("".join(a.itertext()).split())) for a in card.iter("a"))
    return len("".join("".join(card.itertext()).split())) > links


_HEADINGS = ("h2", "h3", "h4", "h5", "h6")  # an h1 is the page's title, never a list's label
_LABEL_WORDS = 8


def _label_above(el: etree._Element, region: etree._Element) -> etree._Element | None:
    """The heading right above `el` ("Related Posts", "Keep reading"), when the text just
    before `el` is one; None when it is anything else."""
    node = el
    while node is not region and (parent := node.getparent()) is not None:
        for sibling in node.itersiblings(preceding=True):
            if (sibling.tail or "").strip():
                return None  # loose text between it and the list
            text = " ".join("".join(sibling.itertext()).split())
            if not text:
                continue
            headings = " ".join(" ".join("".join(h.itertext()).split())
                                for h in sibling.iter(_HEADINGS))
            return sibling if headings == text and len(text.split()) <= _LABEL_WORDS else None
        if (parent.text or "").strip():
            return None
        node = parent
    return None


def drop_card_lists(region: etree._Element, own_url: str | None) -> None:
    """Remove lists of other posts' cards from `region` (a copy the caller owns), with the
    heading that names each."""
    lists = [el for el in region.iter(etree.Element) if el.get("data-hook") in CARD_LIST_HOOKS]
    if own_url:
        lists += _card_lists(region, own_url)
    labels = [label for el in lists if (label := _label_above(el, region)) is not None]
    for el in lists + labels:
        parent = el.getparent()
        if parent is not None:  # not already gone with an ancestor
            parent.remove(el)  # its tail (text after it) goes too: the widget's, if any
