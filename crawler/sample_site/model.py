"""The sample blog's state: posts with their ground truth, built deterministically from a seed.

Building is cheap (metadata only, ~10 µs a post); a post's body blocks are generated on first
use from the post's own seed, so a 10,000-post blog costs nothing until a page is rendered.
Mutations (`edit_post`, `add_post`, `delete_post`) swap in new lists under a lock, so server
threads always read a consistent snapshot.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from crawler.sample_site import content
from crawler.sample_site.files import document_path, video_url

MEDIA_HOST = "https://static.wixstatic.com/media/"
LAYOUTS = ("classic", "new", "elements", "cms")
# A post page no extractor layout knows (og:type article and a BlogPosting, the text in plain
# paragraphs): never in the rotation, only added on purpose to see the crawl summary count it.
UNKNOWN_LAYOUT = "unknown"
# Element-built pages print JavaScript dates, which have no milliseconds.
JS_DATE_LAYOUTS = ("elements", "cms")
# Layouts whose post page shows the post's tags: element-built pages show its categories only,
# the unknown layout neither (a page's ground truth holds what the page shows).
TAGS_SHOWN_LAYOUTS = ("classic", "new")
WORDS_PER_MINUTE = 230
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EPOCH = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)  # the newest post's day for every seed
_SPAN_MINUTES = 10 * 365 * 24 * 60


@dataclass(frozen=True)
class Image:
    """An uploaded image: `media_id` is Wix's file name on static.wixstatic.com."""

    media_id: str
    width: int
    height: int

    @property
    def url(self) -> str:
        return MEDIA_HOST + self.media_id

    def resized(self, width: int, height: int, extra: str = "") -> str:
        """A Wix image-service URL; `extra` adds e.g. the blur of the low-quality placeholder."""
        return (f"{self.url}/v1/fill/w_{width},h_{height},al_c,q_80,usm_0.66_1.00_0.01{extra}"
                f"/{self.media_id}")

    @property
    def placeholder(self) -> str:
        scale = 49 / self.width
        return self.resized(49, max(1, round(self.height * scale)), ",blur_2,enc_auto")

    @property
    def og_url(self) -> str:
        return self.resized(min(self.width, 980), min(self.height, 735))


SITE_LOGO = Image("a1c0de_5173106f0000000000000000000000~mv2.png", 480, 160)  # SampleBlog(logo=)


@dataclass(frozen=True)
class Segment:
    """A run of text inside a paragraph, optionally a link or emphasised."""

    text: str
    href: str | None = None
    mark: str | None = None  # "strong" or "em"


@dataclass(frozen=True)
class Block:
    """One Ricos node. `empty-line` and `spacer` carry no text (visual gaps only)."""

    kind: str  # paragraph | heading | bulleted_list | ordered_list | blockquote | image
    #            | video | empty-line | spacer
    node_id: str
    segments: tuple[Segment, ...] = ()
    level: int = 2
    items: tuple[str, ...] = ()
    image: Image | None = None
    video: str | None = None  # a video block's file URL (video.wixstatic.com)

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)

    def texts(self) -> list[str]:
        """What an extractor should produce for this block: one string per paragraph-like unit."""
        if self.kind in ("bulleted_list", "ordered_list"):
            return list(self.items)
        if self.kind in ("paragraph", "heading", "blockquote"):
            return [self.text]
        return []


@dataclass
class SamplePost:
    """One post with everything a page, feed or sitemap shows about it."""

    post_id: str
    slug: str
    title: str
    author: str
    published: datetime
    modified: datetime
    categories: list[str]
    tags: list[str]
    layout: str
    views: int
    cover: Image | None
    body_seed: int
    revision: int = 0
    # "video" and/or "document": a Wix video block, a paragraph linking a PDF (SampleBlog's
    # `attachments`), added after the generated body.
    extras: tuple[str, ...] = ()
    # The path word before the slug: Wix's "post" unless the owner changed the blog's URL
    # prefix (SEO settings); SampleBlog's `post_prefix`.
    prefix: str = "post"
    _blocks: list[Block] | None = field(default=None, repr=False)

    @property
    def url_path(self) -> str:
        return f"/{self.prefix}/{self.slug}"

    @property
    def blocks(self) -> list[Block]:
        if self._blocks is None:
            self._blocks = generate_blocks(self.body_seed, self.cover) + self._extra_blocks()
        return self._blocks

    @property
    def file_id(self) -> str:
        """The Wix file name of this post's video or document."""
        return "a1c0de_" + hashlib.sha1(self.post_id.encode()).hexdigest()[:32]

    def _extra_blocks(self) -> list[Block]:
        blocks = []
        if "video" in self.extras:
            blocks.append(Block("video", "v" + self.file_id[-4:], video=video_url(self.file_id)))
        if "document" in self.extras:
            blocks.append(Block("paragraph", "d" + self.file_id[-4:], (
                Segment("The whole programme is in "),
                Segment("the PDF", href=document_path(self.file_id)), Segment("."))))
        return blocks

    @property
    def videos(self) -> list[str]:
        return [b.video for b in self.blocks if b.kind == "video" and b.video]

    @property
    def documents(self) -> list[str]:
        """Paths of the documents the body links, on the blog's own host."""
        return [s.href for b in self.blocks for s in b.segments
                if s.href and s.href.startswith("/_files/")]

    @property
    def body_blocks(self) -> list[str]:
        return [text for block in self.blocks for text in block.texts()]

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.body_blocks)

    @property
    def images(self) -> list[str]:
        return [b.image.url for b in self.blocks if b.kind == "image" and b.image is not None]

    @property
    def reading_minutes(self) -> int:
        words = len(self.body_text.split())
        return max(1, math.ceil(words / WORDS_PER_MINUTE))

    @property
    def description(self) -> str:
        """Wix's excerpt: the start of the text, cut at a word and marked with '...'."""
        text = " ".join(self.body_blocks)
        if len(text) <= 140:
            return text
        return text[:140].rsplit(" ", 1)[0] + "..."

    @property
    def published_iso(self) -> str:
        return iso(self.published)

    @property
    def modified_iso(self) -> str:
        return iso(self.modified)

    @property
    def is_updated(self) -> bool:
        return self.modified > self.published

    @property
    def cover_url(self) -> str | None:
        """What og:image, JSON-LD and the feed enclosure carry."""
        return self.cover.og_url if self.cover else None

    @property
    def etag(self) -> str:
        """Changes whenever the post itself changes (not when other posts come and go)."""
        key = f"{self.post_id}:{self.revision}:{self.modified_iso}:{self.layout}"
        return 'W/"' + hashlib.sha1(key.encode()).hexdigest()[:20] + '"'

    def _page_iso(self, moment: datetime) -> str:
        """The date as the post page states it (JavaScript dates drop the milliseconds)."""
        if self.layout in JS_DATE_LAYOUTS:
            moment = moment.replace(microsecond=0)
        return iso(moment)

    def expected(self) -> dict:
        """Ground truth an extractor should recover from the post page."""
        return {
            "title": self.title,
            "author": self.author,
            "published": self._page_iso(self.published),
            "modified": self._page_iso(self.modified),
            "reading_minutes": self.reading_minutes,
            "tags": list(self.tags) if self.layout in TAGS_SHOWN_LAYOUTS else [],
            "categories": list(self.categories) if self.layout != UNKNOWN_LAYOUT else [],
            "body_text": self.body_text,
            "body_blocks": self.body_blocks,
            "images": self.images,
            "videos": self.videos,
            "documents": self.documents,
            "cover_image": self.cover.url if self.cover else None,  # full size, not og:image's
            "description": self.description,
            "post_id": self.post_id,
            "url_path": self.url_path,
            "layout": self.layout,
        }


def iso(moment: datetime) -> str:
    """`2024-03-05T10:00:00.000Z`, as article:published_time shows it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def display_date(moment: datetime, today: datetime) -> str:
    """Wix's visible date: the year is dropped for posts of the current year."""
    day = f"{_MONTHS[moment.month - 1]} {moment.day}"
    return day if moment.year == today.year else f"{day}, {moment.year}"


def _distinct(pool: list[str], count: int, draw: Callable[[], float]) -> list[str]:
    """`count` different items of `pool`, picked by walking it with a random odd stride."""
    start, stride = int(draw() * len(pool)), 1 + 2 * int(draw() * len(pool))
    while math.gcd(stride, len(pool)) != 1:
        stride += 2
    return [pool[(start + i * stride) % len(pool)] for i in range(min(count, len(pool)))]


def _node_id(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(5))


def _media(rng: random.Random) -> Image:
    width, height = rng.choice(((1600, 1067), (1200, 1600), (1920, 1080), (1000, 1000)))
    bits = rng.getrandbits(128)
    # Wix keeps the uploaded format: mostly JPEG, some PNG and WebP (the server renders each).
    extension = ("jpg", "jpg", "png", "webp")[bits % 4]
    return Image(f"a1c0de_{bits:032x}~mv2.{extension}", width, height)


def _paragraph(rng: random.Random, sentences: int, with_link: bool) -> tuple[Segment, ...]:
    text = content.paragraph_text(rng, sentences)
    if with_link:
        label, href = content.link_target(rng)
        return (Segment(text + " See "), Segment(label, href=href), Segment(" for more."))
    if rng.random() < 0.25:  # an emphasised opening word, as writers often do
        lead, rest = text.split(" ", 1)
        return (Segment(lead, mark=rng.choice(("strong", "em"))), Segment(" " + rest))
    return (Segment(text),)


def generate_blocks(seed: int, cover: Image | None) -> list[Block]:
    """A post body: paragraphs with headings, a list, a quote and images in Ricos order."""
    rng = random.Random(seed)
    images = [cover] if cover else []
    if cover and rng.random() < 0.4:
        images.append(_media(rng))
    count = rng.randint(4, 14)
    link_at = rng.randrange(count) if rng.random() < 0.7 else -1
    list_at = rng.randrange(1, count) if rng.random() < 0.5 else -1
    quote_at = rng.randrange(1, count) if rng.random() < 0.35 else -1
    blocks: list[Block] = []
    for position in range(count):
        if position == 1 and images:
            blocks.append(Block("image", _node_id(rng), image=images.pop(0)))
        if position > 1 and rng.random() < 0.2:
            level = rng.choice((2, 2, 3))
            blocks.append(Block("heading", _node_id(rng), (Segment(content.heading_text(rng)),),
                                level=level))
        sentences = rng.randint(1, 5)
        blocks.append(Block("paragraph", _node_id(rng),
                            _paragraph(rng, sentences, position == link_at)))
        if position == list_at:
            kind = rng.choice(("bulleted_list", "ordered_list"))
            items = tuple(content.list_items(rng, rng.randint(2, 5)))
            blocks.append(Block(kind, _node_id(rng), items=items))
        if position == quote_at:
            blocks.append(Block("blockquote", _node_id(rng), (Segment(content.quote_text(rng)),)))
        if position == count // 2 and images:
            blocks.append(Block("image", _node_id(rng), image=images.pop(0)))
        gap = rng.random()
        if gap < 0.45:
            blocks.append(Block("empty-line", _node_id(rng)))
        elif gap < 0.6:
            blocks.append(Block("spacer", _node_id(rng)))
    return blocks


def blocks_from_paragraphs(paragraphs: list[str], seed: int, images: int = 0,
                           heading: str | None = None) -> list[Block]:
    """A body of `heading` (an h2), these paragraphs, then `images` newly uploaded images."""
    rng = random.Random(seed)
    blocks = [Block("heading", _node_id(rng), (Segment(heading),))] if heading else []
    blocks += [Block("paragraph", _node_id(rng), (Segment(text),)) for text in paragraphs]
    return blocks + [Block("image", _node_id(rng), image=_media(rng)) for _ in range(images)]


# How listing pages may spell a post's link (SampleBlog.listing_path).
LISTING_LINKS = ("plain", "trailing-slash", "lower-escapes", "title-case")


class SampleBlog:
    """A deterministic Wix-style blog. `posts` is ordered newest first."""

    def __init__(self, seed: int = 1, post_count: int = 25, site_name: str = "Willow Lane Notes",
                 layout: str | None = None, page_size: int = 10, unicode_slugs: bool = False,
                 feed_content: bool = False, attachments: bool = False,
                 post_prefix: str = "post", feed_link_query: str = "",
                 listing_links: str = "plain", logo: bool = False) -> None:
        if layout is not None and layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS} or None, not {layout!r}")
        if post_count < 0 or page_size < 1:
            raise ValueError("post_count must be >= 0 and page_size >= 1")
        if not re.fullmatch(r"[a-z0-9-]+", post_prefix) or post_prefix in ("blog", "media",
                                                                           "video", "_files"):
            raise ValueError(f"post_prefix {post_prefix!r}: one path word, not a path the site "
                             "already serves")
        if listing_links not in LISTING_LINKS:
            raise ValueError(f"listing_links must be one of {LISTING_LINKS}, not "
                             f"{listing_links!r}")
        self.post_prefix = post_prefix  # posts at /<post_prefix>/<slug>
        # A query string on each feed item's link, as a site tagging its feed for analytics
        # does ("utm_source=rss"); the post answers with it and without.
        self.feed_link_query = feed_link_query
        # How listing pages' post cards spell their links (LISTING_LINKS; see listing_path).
        self.listing_links = listing_links
        self.seed = seed
        self.site_name = site_name
        self.layout = layout
        self.page_size = page_size
        self.unicode_slugs = unicode_slugs
        self.feed_content = feed_content  # add content:encoded to feed items, as some sites do
        # Posts get, in turn, a video block, a link to a PDF, or neither (element-built posts
        # show the video as a video box element, crawler.sample_site.elements).
        self.attachments = attachments
        # The site header shows a logo: an image that is no post's, at a rendition URL on every
        # page (a page requisite of each post, crawler.page_requisites).
        self.logo = SITE_LOGO if logo else None
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._slugs: set[str] = set()
        self._counter = 0
        posts: list[SamplePost] = []
        moment = _EPOCH - timedelta(minutes=self._rng.randrange(600))
        # Gaps of hours to days, shrinking for huge blogs so all posts fit in ~10 years.
        widest = max(2, min(5760, _SPAN_MINUTES * 2 // max(post_count, 1)))
        for _ in range(post_count):
            posts.append(self._new_post(moment, None, None, None, None, None))
            moment -= timedelta(minutes=widest // 10 + 1 + int(self._rng.random() * widest),
                                milliseconds=int(self._rng.random() * 60000))
        # "Now" for the site: just after the newest post; each mutation moves it on by a day.
        self.clock = _EPOCH + timedelta(days=1)
        for post in posts:
            if self._rng.random() < 0.35:  # some posts were edited after publishing
                later = post.published + timedelta(minutes=self._rng.randint(120, 86400),
                                                   milliseconds=self._rng.randrange(60000))
                if later >= self.clock:  # edited recently: somewhere between then and now
                    later = post.published + (self.clock - post.published) / 2
                post.modified = later
        self.posts: list[SamplePost] = posts
        self._by_slug = {post.slug: post for post in posts}
        self._taxonomy_cache: tuple[list[SamplePost], dict, dict] | None = None

    # -- construction ---------------------------------------------------------------------

    def _new_post(self, published: datetime, title: str | None, author: str | None,
                  categories: list[str] | None, tags: list[str] | None,
                  layout: str | None) -> SamplePost:
        rng = self._rng
        index = self._counter
        self._counter += 1
        if title is None:  # every 6th title has &, quotes, accents or emoji; the 3rd has & and "
            title = content.make_title(rng, index // 6 if index % 6 == 2 else None)
        slug = self._unique_slug(content.slugify(title, self.unicode_slugs))
        post_id = f"{int(published.timestamp()):08x}{rng.getrandbits(64):016x}"
        draw = rng.random  # plain draws: randint/sample would double the build time
        if categories is None:
            count = 0 if draw() < 0.1 else 1 + int(draw() * 2)
            categories = _distinct([name for name, _ in content.CATEGORIES], count, draw)
        if tags is None:
            tags = _distinct(list(content.TAGS), int(draw() * 5), draw)
        layout = layout or self.layout or LAYOUTS[(index + self.seed) % len(LAYOUTS)]
        extras: tuple[str, ...] = ()
        if self.attachments and layout in LAYOUTS:
            extras = (("video",), ("document",), ())[index % 3]
        return SamplePost(
            post_id=post_id, slug=slug, title=title,
            author=author or content.AUTHORS[int(draw() * len(content.AUTHORS))],
            published=published, modified=published, categories=list(categories),
            tags=list(tags),
            layout=layout, extras=extras, prefix=self.post_prefix,
            views=int(draw() * 400), cover=_media(rng) if draw() < 0.7 else None,
            body_seed=rng.getrandbits(48),
        )

    def _unique_slug(self, slug: str) -> str:
        candidate, n = slug, 1
        while candidate in self._slugs:
            n += 1
            candidate = f"{slug}-{n}"
        self._slugs.add(candidate)
        return candidate

    def _tick(self) -> datetime:
        self.clock += timedelta(days=1, minutes=self._rng.randint(1, 600),
                                milliseconds=self._rng.randrange(1000))
        return self.clock

    def _publish(self, posts: list[SamplePost]) -> None:
        posts.sort(key=lambda post: post.published, reverse=True)
        self.posts = posts
        self._by_slug = {post.slug: post for post in posts}

    # -- reading ---------------------------------------------------------------------------

    def post(self, slug: str) -> SamplePost | None:
        found = self._by_slug.get(slug)
        if found is None and self.listing_links == "title-case":
            # The site that links /post/My-Slug answers that spelling as well as its own.
            found = next((p for p in self.posts if p.slug.casefold() == slug.casefold()), None)
        return found

    def listing_path(self, post: SamplePost) -> str:
        """A post's path as listing pages link it: as the sitemap lists it ("plain"), with a
        trailing slash the site redirects from, percent-encoded in lower-case hex
        (`caf%c3%a9`), or Title-Cased (`/post/My-Slug`, answered too)."""
        if self.listing_links == "trailing-slash":
            return post.url_path + "/"
        if self.listing_links == "lower-escapes":
            return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(post.url_path))
        if self.listing_links == "title-case":
            return f"/{post.prefix}/{post.slug.title()}"
        return post.url_path

    @property
    def today(self) -> datetime:
        return self.clock

    @property
    def last_modified(self) -> datetime:
        return max((post.modified for post in self.posts), default=self.clock)

    def categories(self) -> list[tuple[str, str, str]]:
        """(name, slug, description) for every category, in menu order."""
        return [(name, content.slugify(name), text) for name, text in content.CATEGORIES]

    def tags(self) -> list[tuple[str, str]]:
        return [(tag, content.slugify(tag)) for tag in content.TAGS]

    def in_category(self, slug: str) -> list[SamplePost]:
        return self._taxonomy()[0].get(slug, [])

    def with_tag(self, slug: str) -> list[SamplePost]:
        return self._taxonomy()[1].get(slug, [])

    def _taxonomy(self) -> tuple[dict[str, list[SamplePost]], dict[str, list[SamplePost]]]:
        """Posts by category slug and by tag slug, rebuilt only when the post list changes."""
        posts = self.posts
        cached = self._taxonomy_cache
        if cached is not None and cached[0] is posts:
            return cached[1], cached[2]
        by_category: dict[str, list[SamplePost]] = {}
        by_tag: dict[str, list[SamplePost]] = {}
        for post in posts:
            for name in post.categories:
                by_category.setdefault(content.slugify(name), []).append(post)
            for tag in post.tags:
                by_tag.setdefault(content.slugify(tag), []).append(post)
        self._taxonomy_cache = (posts, by_category, by_tag)
        return by_category, by_tag

    # -- mutating between crawls -------------------------------------------------------------

    def edit_post(self, slug: str, title: str | None = None,
                  paragraphs: list[str] | None = None, images: int = 0,
                  heading: str | None = None, modified: datetime | None = None) -> SamplePost:
        """Change a post's title and/or body (`heading`, `paragraphs`, then `images` new
        images: an empty list and one image makes a post of one photo, a heading alone a post
        of one heading); bumps `modified` (and the sitemap lastmod), or sets it to `modified`
        (an earlier date: a blog restored from a backup goes back in time)."""
        with self._lock:
            post = self._require(slug)
            if title is not None:
                post.title = title
            if paragraphs is not None or heading is not None:
                post._blocks = blocks_from_paragraphs(paragraphs or [],
                                                      post.body_seed + post.revision, images,
                                                      heading)
            post.revision += 1
            post.modified = modified or self._tick()
            self._publish(list(self.posts))
            return post

    def add_post(self, title: str | None = None, paragraphs: list[str] | None = None,
                 author: str | None = None, categories: list[str] | None = None,
                 tags: list[str] | None = None, layout: str | None = None) -> SamplePost:
        """Publish a new post, newest of all."""
        if layout is not None and layout not in (*LAYOUTS, UNKNOWN_LAYOUT):
            raise ValueError(f"layout must be one of {(*LAYOUTS, UNKNOWN_LAYOUT)}, "
                             f"not {layout!r}")
        with self._lock:
            post = self._new_post(self._tick(), title, author, categories, tags, layout)
            if paragraphs is not None:
                post._blocks = blocks_from_paragraphs(paragraphs, post.body_seed)
            self._publish([post, *self.posts])
            return post

    def delete_post(self, slug: str) -> SamplePost:
        """Remove a post: its page then answers 404 and it leaves sitemaps, feed and listings."""
        with self._lock:
            post = self._require(slug)
            self._tick()
            self._publish([p for p in self.posts if p.slug != slug])
            return post

    def _require(self, slug: str) -> SamplePost:
        post = self._by_slug.get(slug)
        if post is None:
            raise KeyError(f"no post with slug {slug!r}")
        return post
