"""Deterministic, original text for the sample blog: word lists and sentence builders.

Everything here is written for this project (no text from real Wix pages). A post's words come
from a `random.Random` seeded per post, so the same seed always yields the same site. Some titles
and sentences carry non-ASCII (é, ü, ’, emoji) and HTML specials (&, quotes, <) on purpose: the
extractor must survive them.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata

AUTHORS = (
    "Maren Holt", "José Álvarez", "Zoë Fischer", "Priya Raman", "Tom O’Leary", "Ingrid Müller",
)

# (name, description) — names include "&" and accents so category pages and labels escape them.
CATEGORIES = (
    ("Garden Diary", "Notes from the beds, the greenhouse and the compost heap."),
    ("Kitchen & Pantry", "Recipes, preserves and the odd kitchen disaster."),
    ("Workshop", "Small repairs, tools and things made by hand."),
    ("Travel Notes", "Short trips, long walks and the trains in between."),
    ("Café Culture", "Coffee, bread and the people who make them."),
    ("Seasons", "What changes from one month to the next."),
)

TAGS = (
    "compost", "tomatoes", "seedlings", "sourdough", "jam", "woodwork", "bicycles", "rain",
    "autumn", "spring", "beekeeping", "herbs", "river walks", "old tools", "market day",
    "crème brûlée",
)

_ADJECTIVES = (
    "quiet", "early", "stubborn", "bright", "patient", "small", "muddy", "golden", "borrowed",
    "forgotten", "honest", "slow", "windy", "careful", "green", "late", "simple", "crooked",
)
_NOUNS = (
    "garden", "seedling", "greenhouse", "orchard", "workbench", "kettle", "notebook", "harvest",
    "trellis", "allotment", "pantry", "loaf", "hedge", "bicycle", "market", "window box",
    "compost heap", "rain barrel", "apple tree", "spade", "beehive", "herb bed", "footpath",
)
_VERBS = (
    "taught me", "reminded me", "showed us", "asked of us", "gave the neighbours",
    "left the children", "promised the bees", "cost the old shed",
)
_PLACES = (
    "behind the shed", "along the north wall", "by the back gate", "under the plum tree",
    "at the Saturday market", "in the cold frame", "beside the river path", "on the balcony",
)
_TIMES = (
    "in March", "after the first frost", "on a wet Tuesday", "before breakfast", "all summer",
    "by midwinter", "at dusk", "during the long weekend",
)
_OPENERS = (
    "Every year", "This spring", "For a while now", "Looking back", "To be honest",
    "Most mornings", "Last season", "Once again",
)
_LINK_TARGETS = (
    ("the seed exchange", "https://example.org/seed-exchange"),
    ("a longer guide", "https://example.com/guides/compost?ref=blog&lang=en"),
    ("the village library", "https://library.example.net/catalogue"),
    ("this short video", "https://video.example.com/watch?v=garden42"),
)
_ARTICLE = re.compile(r"\b([Aa]) ([aeiou])")  # "a orchard" -> "an orchard"
_EMOJI = ("🌱", "🍅", "☕", "🐝", "🚲")

# Titles: "{a}" adjective, "{n}" noun, "{n2}" second noun, "{k}" a small number, "{e}" emoji.
_TITLES = (
    "The {a} {n}",
    "What the {n} {v}",
    "{k} lessons from a {a} {n}",
    "Notes on the {n} and the {n2}",
    "Why I stopped worrying about the {n}",
    "A {a} week at the {n}",
    "How to keep a {n} {a}",
    "{k} things to do with a {n}",
    "Letters from the {n}",
    "The {n} diaries, part {k}",
)
# Titles with characters that must be escaped or survive encoding.
_SPECIAL_TITLES = (
    'Salt & Pepper: the "{n}" question',
    "Café mornings & the {a} {n}",
    "Don’t call it a {n} {e}",
    "Über-{a}: a {n} in {k} steps",
    'Tom & Zoë\'s "{a}" {n} <notes>',
)

_SENTENCES = (
    "{O} the {n} {v} more than any book could.",
    "We started {t}, with nothing but a {a} {n} and a borrowed {n2}.",
    "The {n} {p} looked {a} at first, but it grew on us.",
    "Nobody warned me that a {n} needs as much attention as a {n2}.",
    "{O} I write down what the {n} did, and {t} I read it again.",
    "It is a {a} kind of work, and the {n} does not care about deadlines.",
    "If you only try one thing {t}, make it the {n} {p}.",
    "My neighbour swears by a {a} {n2}; I am not yet convinced.",
    "There were {k} of us {p}, arguing about the {n} until it rained.",
    "The {a} {n} is still there {p}, which says something about patience.",
    "A good {n} is mostly habit: a little every day, a lot {t}.",
    "I would rather have one {a} {n} than {k} fussy ones.",
    "By the end we had learned that the {n2} matters as much as the {n}.",
    "The children named the {n} “Captain” and now nobody may move it.",
    "Coffee, a {a} notebook and the {n} {p}: that is the whole routine.",
)
_HEADINGS = (
    "What went wrong", "What went right", "Getting started", "The {a} part", "A note on the {n}",
    "Before you begin", "Next season", "Tools you need", "Über the {n}",
)
_QUOTES = (
    "Plant the {n} for the person you will be {t}.",
    "A {a} {n} is better than a perfect plan.",
    "The {n} keeps its own calendar; we only borrow it.",
)
_LIST_ITEMS = (
    "A {a} {n} and somewhere to keep it",
    "Water {t}, not before",
    "Keep notes on the {n}, even the {a} days",
    "Ask a neighbour about the {n2}",
    "Leave room {p}",
    "Check the {n} again {t}",
    "Don’t buy a new {n2} yet",
)


class _Words(dict):
    """Draws a word for a placeholder only when the template uses it (building stays fast)."""

    _POOLS = {"a": _ADJECTIVES, "n": _NOUNS, "n2": _NOUNS, "v": _VERBS, "p": _PLACES,
              "t": _TIMES, "O": _OPENERS, "e": _EMOJI}

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        if key == "k":
            return str(self.rng.randint(2, 12))
        pool = self._POOLS[key]
        return pool[int(self.rng.random() * len(pool))]


def fill(template: str, rng: random.Random) -> str:
    """Fill one template's placeholders with words drawn from `rng`."""
    return _ARTICLE.sub(r"\1n \2", template.format_map(_Words(rng)))


def make_title(rng: random.Random, special: int | None = None) -> str:
    """A title; `special` picks (cyclically) one of the titles with &, quotes, accents, emoji."""
    if special is None:
        title = fill(rng.choice(_TITLES), rng)
    else:
        title = fill(_SPECIAL_TITLES[special % len(_SPECIAL_TITLES)], rng)
    return title[0].upper() + title[1:]


def sentence(rng: random.Random) -> str:
    return fill(rng.choice(_SENTENCES), rng)


def paragraph_text(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def heading_text(rng: random.Random) -> str:
    return fill(rng.choice(_HEADINGS), rng)


def quote_text(rng: random.Random) -> str:
    return fill(rng.choice(_QUOTES), rng)


def list_items(rng: random.Random, count: int) -> list[str]:
    return [fill(template, rng) for template in rng.sample(_LIST_ITEMS, count)]


def link_target(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_LINK_TARGETS)


@functools.lru_cache(maxsize=1024)
def slugify(text: str, keep_unicode: bool = False) -> str:
    """Wix-style slug: lowercase words joined by '-'; accents kept only when asked."""
    text = unicodedata.normalize("NFKC" if keep_unicode else "NFKD", text.lower())
    if not keep_unicode:
        text = text.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\W_]+", "-", text).strip("-") or "post"
