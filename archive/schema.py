"""The archive's schema: every table's DDL, the schema version, and the migrations between them.

This module is the only place that creates or alters tables. The version lives in
`PRAGMA user_version` (transactional, so a failed upgrade leaves the old version in place) and
`PRAGMA application_id` marks the file as a wixarchive archive, so we never "migrate" someone
else's SQLite database.

History (each step is a migration; a new archive runs them all, so there is one code path):
  v1  sites, crawl runs, posts (current version), post versions, tags and categories (many-to-many)
  v2  incremental-crawl validators on posts (etag, HTTP Last-Modified) and the images table
  v3  the FTS5 index over title, body, author, tags and categories, kept in sync by triggers
  v4  search statistics for fast top-k on very common terms (see archive/search.py): the terms in
      more than half of the posts, their impact-ordered best posts, and a change counter bumped
      by the index triggers so stale statistics are never used for results
  v5  batch writes index their new posts in one statement (the insert trigger skips rows while
      search_meta's 'index_later' flag is set inside such a transaction), index merge settings
      for bulk loads, and version records that leave the current version's text in posts
  v6  how many posts matched each impact-listed unit, and the highest post id, when the search
      statistics were computed: after a crawl that only added posts, the lists are extended
      with the new posts instead of ranking the whole archive again
  v7  the index triggers log each post they re-index or remove, so the statistics can be
      extended after a crawl that changed posts too
  v8  the change log keeps the indexed texts a change replaced
  v9  each crawl run records the process running it (host and pid), so a run left `running`
      by a process that is gone can be told from one still under way, and closed
  v10 raw captures: the WARC files beside the archive (capture_files), the index of their
      response and revisit records (captures), which capture each post version came from and
      whether a crawl or a re-extraction made it, the progress of re-extractions, and the
      full-size images fetched (media, joined to images on url)
  v11 what `wixarchive recover` listed and fetched from web archives (recovered); its `kind`
      also takes 'probe' (a page read to learn whether its path word holds posts), which
      needed no migration: the DDL below is left as written
  v12 the posts' videos and documents (attachments, rewritten with the post like images; what
      fetching one gave is a media row, joined on url), and the view post_attachments joining
      the two: kind, content type, fetched or not, size and digest when fetched
  v13 Chinese, Japanese and Korean words searchable inside a run of text: each post's CJK runs as
      overlapping bigrams (posts.cjk_title and posts.cjk, NULL for a post without any) in an
      index of their own,
      posts_cjk (see archive/search/bigrams.py); the posts already archived are filled in, and
      their word counts made per character
  v14 an index of the stored media by payload digest
  v15 post URLs in the one form crawls compare and archive them in (crawler.discover.urls
      .normalize_url): an archived `/post/caf%c3%a9` or `/post/slug/` is `/post/caf%C3%A9` or
      `/post/slug`, so the sitemap's `/post/café` finds it; other tables name a post by its id
      (captures keep the URL as fetched: the WARC-Target-URI). A post archived under two
      spellings keeps both rows, the second marked deleted. Site URLs with a non-ASCII host
      take its IDNA form (`xn--`), as post URLs do; two rows of one site become one
  v16 the records `check` found damaged inside their capture files (damaged_records), so a
      crawl captures them again as it does those of a file missing or cut short
  v17 an index of each site's crawl runs by id, so a site's newest runs (what `runs --failing`,
      `run-due` and `sites list` read of its history) are read without the rest; indexes of
      the posts by last change and by deletion, for the web pages' "changed since" and
      "deleted posts" queries; an index of the captures by file, for `check`'s pass over each
      capture file; an index of each site's posts with their versions, words and deletion, for
      `stats`
  v18 an index of the posts by language, for the web posts table's language facet; an index
      of the captures by file and kind, which `stats` counts
  v19 Hebrew and Arabic words written with vowel marks searchable as typed without them: in
      an archive holding such marks, the posts holding Hebrew or Arabic text (flagged in
      posts.unmarked_index) are indexed without the marks too, in an index of their own,
      posts_unmarked (see archive/search/marks.py); a field with marks keeps its text without
      them in posts.unmarked_title and the like (NULL for a field without any); the posts
      already archived are filled in
  v20 the Arabic tatweel taken out of the mark-free text too
  v21 when wixarchive stored each change to a post, by its own clock: posts.recorded_at (a new
      version, a deletion found, a return after one), indexed, which `export --changed-since`
      compares, and post_versions.stored_at (each version); an import, recovery or
      re-extraction dates a version by its capture, which can be long before it was stored.
      The rows already archived are given the latest time the archive knows them stored by
  v22 words written with combining marks kept whole in the search indexes (Devanagari and
      Bengali vowel signs, viramas, nuktas: किताब, not क त ब): posts_fts and posts_unmarked
      made again with the marks among a word's characters, and built from the posts
  v23 one tag (and one category) for every spelling the --tag filter takes for it: tags.key and
      categories.key (archive/search/names.py's name_case: Çay and çay, STRASSE and straße),
      unique, where the name's NOCASE told ASCII letters alone apart; the rows already
      archived that share a key become the first archived one, every post keeping its link
  v24 a Latin combining mark standing alone (after a space) is no word in the search indexes:
      it was an empty one taking a word's place, so a phrase or NEAR across it failed;
      posts_fts and posts_unmarked made again with that tokenizer, and built from the posts
  v25 posts_newest: the posts by published date, newest first, then id, the order of the web's
      posts table sorted newest first (`?_sort_desc=published`), whose pages SQLite otherwise
      answered by sorting every older post (10.6 s at 152,000 posts: "SQL Interrupted"); and
      posts_site_recorded, each site's newest change stored, which an export reads
  v26 Hebrew and Arabic written against CJK text held in posts_cjk without their vowel marks,
      which its tokenizer read as spaces (`東京שָׁלוֹם`: ש לו ם, found by no query); the posts
      holding such marks there get them taken out
  v27 posts_recorded_newest: the posts by recorded_at, newest first
  v28 recovered_record: the captures `recover` fetched, by the record id a version names

The DDL is written out rather than generated with sqlite-utils: migrations must be byte-for-byte
reproducible, and sqlite-utils' FTS triggers re-index a post on *every* update (a crawl touching
`last_seen` would rewrite the index), while ours fire only when an indexed column changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

from archive.tokenizer_marks import UNSPACED_MARKS, WORD_MARKS, characters

APPLICATION_ID = 0x57495841  # "WIXA"
SCHEMA_VERSION = 29
# The oldest version this code can read without upgrading (v4 only adds optional statistics).
READABLE_FROM = 3

# Columns of the full-text index, in order; bm25 weights in the same order: a title match counts
# ten times a body match, tags and categories sit between.
FTS_TABLE = "posts_fts"
FTS_COLUMNS = ("title", "body", "author", "tags", "categories")
FTS_WEIGHTS = (10.0, 1.0, 2.0, 4.0, 3.0)
# unicode61 handles any alphabetic script and folds diacritics (é == e, ü == u). Its categories
# add the combining marks (Mn, Mc) to its default letters, digits and private-use characters, so
# that a mark is part of its word rather than a separator: Devanagari and Bengali write their
# vowels and clusters with them (किताब was indexed as क त ब, and found कातिब too), and the
# marks of Latin letters are still removed (archive/search/tokens.py). FTS_TOKENIZE_V3 is the
# tokenizer of the indexes before v22, as the migrations that made them wrote it. The prefix
# index serves `abc*` queries from one doclist instead of merging every term starting with
# "abc"; it is kept to one length because each one slows indexing (prefixes of 2, 3 and 4
# letters cut FTS insert speed by ~30% here), and three letters is where a prefix still matches
# many terms.
FTS_TOKENIZE_V3 = "unicode61 remove_diacritics 2"


# The oldest SQLite this schema runs on: FTS5's unicode61 `categories` option (FTS_TOKENIZE)
# came in 3.25, and the exports' `AS MATERIALIZED` (archive/export/source.py) in 3.35. An older
# one failed with a traceback deep inside a search or an export ("error in tokenizer
# constructor", "near MATERIALIZED: syntax error"); `sqlite_problem` says so up front.
MIN_SQLITE = (3, 35, 0)


def sqlite_problem(version: tuple[int, int, int] | None = None) -> str | None:
    """Why the SQLite library Python uses (`version`: sqlite3.sqlite_version_info) cannot run
    wixarchive, phrased for the user; None when it can."""
    version = version or sqlite3.sqlite_version_info
    if version >= MIN_SQLITE:
        return None
    needed, found = (".".join(map(str, v)) for v in (MIN_SQLITE, version))
    return (f"wixarchive needs SQLite {needed} or newer, and this Python uses SQLite {found} "
            "(the search index's tokenizer and the exports need it): run wixarchive with a "
            "Python built with a newer SQLite (python.org's installers and recent Linux "
            "distributions have one)")


# The tokenizer of the v22 and v23 indexes: every mark (Mn, Mc) a word's character, so that a
# Latin mark standing alone after a space (` \u0301 `), which remove_diacritics folds to
# nothing, was an empty word taking a position: a phrase or NEAR across it found nothing.
FTS_TOKENIZE_V22 = ("unicode61 remove_diacritics 2 categories 'L* N* Co Mn Mc' "
                    f"separators '{characters(UNSPACED_MARKS)}'")
# Since v24, the marks are word characters one by one, as `tokenchars` (and the spacing ones,
# Mc, by category too), but for the 25 marks remove_diacritics takes off (archive/search/
# tokens.py's REMOVED_MARKS: FTS5 lets no option name them) and the unspaced scripts' marks: a
# mark unicode61 removes then starts no word, and inside one is removed as before (a decomposed
# café is `cafe`, école `ecole`), so one standing alone is a space. Every other word is indexed
# as v22 indexes it. WORD_MARKS: those marks (Mn and Mc of Unicode 14, as ranges; Mc too, as
# SQLite's older tables have a few of them as Mn; tests/test_search_word_breaks.py derives them
# from unicodedata).
FTS_TOKENIZE = ("unicode61 remove_diacritics 2 categories 'L* N* Co Mc' "
                f"tokenchars '{characters(WORD_MARKS)}' "
                f"separators '{characters(UNSPACED_MARKS)}'")
# As SQL strings, for a CREATE VIRTUAL TABLE's `tokenize=` (their quotes doubled).
FTS_TOKENIZE_SQL = "'" + FTS_TOKENIZE.replace("'", "''") + "'"
FTS_TOKENIZE_V22_SQL = "'" + FTS_TOKENIZE_V22.replace("'", "''") + "'"
FTS_PREFIX = "3"
# FTS5 buffers new postings in memory and writes a segment when they pass `hashsize` (default
# 1 MiB, a segment every ~150 posts here); `automerge` is how many segments of one level it merges
# at once (default 4). 32 MiB and 8 write fewer, larger segments and merge them less often: FTS5
# indexing goes from ~1,600 to ~2,700 posts/s on 600-word posts. `optimize` still merges it all.
FTS_SETTINGS = {"hashsize": 32 * 2**20, "automerge": 8}

V1 = """
CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,          -- the site root: https://host/ or https://user.wixsite.com/site/
    name TEXT,
    first_seen TEXT NOT NULL,
    last_crawled TEXT
);
CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    counts TEXT NOT NULL DEFAULT '{}',  -- JSON object
    errors TEXT NOT NULL DEFAULT '[]'   -- JSON array
);
CREATE INDEX crawl_runs_site ON crawl_runs(site_id, started_at);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    url TEXT NOT NULL UNIQUE,
    wix_post_id TEXT,
    title TEXT,
    author TEXT,
    published TEXT,
    modified TEXT,
    reading_minutes INTEGER,
    language TEXT,
    canonical_url TEXT,
    description TEXT,
    cover_image TEXT,
    tags TEXT NOT NULL DEFAULT '[]',        -- JSON array, denormalized for the index and Datasette
    categories TEXT NOT NULL DEFAULT '[]',  -- JSON array
    body TEXT NOT NULL DEFAULT '',          -- plain text, paragraphs separated by a blank line
    body_html TEXT NOT NULL DEFAULT '',
    body_markdown TEXT NOT NULL DEFAULT '',
    word_count INTEGER NOT NULL DEFAULT 0,
    warnings TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,     -- number of the current post_versions row
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    lastmod TEXT,                           -- the sitemap's <lastmod> when last seen
    deleted_at TEXT                         -- set when the post disappeared; rows are never removed
);
CREATE INDEX posts_site ON posts(site_id, published);
CREATE INDEX posts_published ON posts(published);
CREATE INDEX posts_author ON posts(author COLLATE NOCASE);
CREATE TABLE post_versions (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    version INTEGER NOT NULL,
    run_id INTEGER REFERENCES crawl_runs(id),
    fetched_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT,
    record BLOB NOT NULL,                   -- the whole Article as zlib-compressed JSON
    UNIQUE (post_id, version)
);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE post_tags (
    post_id INTEGER NOT NULL REFERENCES posts(id),
    tag_id INTEGER NOT NULL REFERENCES tags(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (post_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX post_tags_tag ON post_tags(tag_id, post_id);
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE post_categories (
    post_id INTEGER NOT NULL REFERENCES posts(id),
    category_id INTEGER NOT NULL REFERENCES categories(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (post_id, category_id)
) WITHOUT ROWID;
CREATE INDEX post_categories_category ON post_categories(category_id, post_id);
"""

V2 = """
ALTER TABLE posts ADD COLUMN etag TEXT;
ALTER TABLE posts ADD COLUMN http_last_modified TEXT;
CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    position INTEGER NOT NULL,              -- 0 = cover image, then body order from 1
    url TEXT NOT NULL,
    is_cover INTEGER NOT NULL DEFAULT 0,
    UNIQUE (post_id, position)
);
"""


def _fts_ddl() -> str:
    # content="posts" in double quotes: the form sqlite-utils and Datasette look for to find the
    # index of a table (their search features then work on this archive as is).
    cols = ", ".join(FTS_COLUMNS)
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    return f"""
CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
    {cols}, content="posts", content_rowid='id',
    tokenize='{FTS_TOKENIZE_V3}', prefix='{FTS_PREFIX}'
);
INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('rank', 'bm25({weights})');
{_fts_triggers(count_changes=False)}
INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild');
CREATE VIRTUAL TABLE {FTS_TABLE}_vocab USING fts5vocab({FTS_TABLE}, 'row');
"""


def twin_fts_ddl(table: str) -> str:
    """A contentless FTS5 table `table` that indexes and ranks like the archive's own index
    (columns, tokenizer, prefix index, bm25 weights): archive.search ranks the posts added or
    changed since the search statistics in one, in a scratch file."""
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    return f"""
CREATE VIRTUAL TABLE {table} USING fts5(
    {", ".join(FTS_COLUMNS)}, content='', tokenize={FTS_TOKENIZE_SQL}, prefix='{FTS_PREFIX}'
);
INSERT INTO {table}({table}, rank) VALUES ('rank', 'bm25({weights})');
{_fts_settings(table)}"""


def _fts_settings(table: str) -> str:
    return "".join(f"INSERT INTO {table}({table}, rank) VALUES ('{key}', {value});\n"
                   for key, value in FTS_SETTINGS.items())


V4 = """
CREATE TABLE search_meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO search_meta (key, value) VALUES ('changes', 0), ('stats_changes', -1), ('posts', 0);
CREATE TABLE search_terms (                 -- index terms found in more than half of the posts
    term TEXT PRIMARY KEY,
    doc INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE search_top (                   -- the best-ranked posts for each of those terms
    term TEXT NOT NULL,
    position INTEGER NOT NULL,
    post_id INTEGER NOT NULL,
    rank REAL NOT NULL,
    PRIMARY KEY (term, position)
) WITHOUT ROWID;
"""


V5 = "INSERT INTO search_meta (key, value) VALUES ('index_later', 0);"

V6 = """
CREATE TABLE search_lists (                 -- posts matching each unit of search_top, when ranked
    term TEXT PRIMARY KEY,
    doc INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO search_meta (key, value) VALUES ('stats_max_id', 0), ('stats_full_posts', 0);
"""


V7 = """
CREATE TABLE search_changed (               -- posts re-indexed or removed since the statistics
    seq INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL
);
INSERT INTO search_meta (key, value) VALUES ('stats_extended', 0);
"""


# v8: the log keeps what the index held for the post before the change, so that extending the
# search statistics counts the posts a unit no longer matches without walking the whole index.
V8 = "ALTER TABLE search_changed ADD COLUMN texts INTEGER NOT NULL DEFAULT 0;\n" + "".join(
    f"ALTER TABLE search_changed ADD COLUMN {column} TEXT;\n" for column in FTS_COLUMNS)


V9 = """
ALTER TABLE crawl_runs ADD COLUMN host TEXT;
ALTER TABLE crawl_runs ADD COLUMN pid INTEGER;
"""


# v10: raw captures (archive/captures.py writes these rows). The WARC files are the record of what
# was served; these tables only index them, so they can always be rebuilt from the files.
# `source` says how a capture entered the archive ('crawl'; later 'import', 'recover'), so
# records of other producers are stored and read exactly like crawled ones.
V10 = """
CREATE TABLE capture_files (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,              -- file name inside <archive>.captures/
    created_at TEXT NOT NULL,
    closed_at TEXT,                         -- NULL while written, or left by a killed writer
    bytes INTEGER NOT NULL DEFAULT 0        -- end of the last complete record indexed
);
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,         -- WARC-Record-ID of the response or revisit record
    kind TEXT NOT NULL,                     -- 'response' | 'revisit'
    url TEXT NOT NULL,                      -- WARC-Target-URI
    fetched_at TEXT NOT NULL,               -- WARC-Date
    status INTEGER,
    content_type TEXT,
    payload_digest TEXT,                    -- WARC-Payload-Digest, "sha1:BASE32"
    payload_length INTEGER,
    file_id INTEGER NOT NULL REFERENCES capture_files(id),
    offset INTEGER NOT NULL,                -- where the record's gzip member starts
    length INTEGER NOT NULL,                -- its length in the file
    source TEXT NOT NULL DEFAULT 'crawl'
);
CREATE INDEX captures_url ON captures(url, fetched_at);
CREATE INDEX captures_digest ON captures(payload_digest);
ALTER TABLE post_versions ADD COLUMN capture TEXT;  -- captures.record_id it was extracted from
ALTER TABLE post_versions ADD COLUMN source TEXT NOT NULL DEFAULT 'crawl';  -- or 'reextract'
CREATE TABLE media (                        -- full-size images fetched for posts
    url TEXT PRIMARY KEY,                   -- as in images.url: the original-size URL
    status TEXT NOT NULL,                   -- stored | not-an-image | too-big | http-NNN | failed
    fetched_at TEXT NOT NULL,
    content_type TEXT,
    bytes INTEGER,
    payload_digest TEXT,                    -- of the stored payload (captures.payload_digest)
    capture TEXT,                           -- captures.record_id holding it
    error TEXT
) WITHOUT ROWID;
CREATE TABLE reextractions (
    id INTEGER PRIMARY KEY,
    site TEXT,                              -- the --site filter, NULL for every site
    started_at TEXT NOT NULL,
    finished_at TEXT,
    last_post_id INTEGER NOT NULL DEFAULT 0,  -- posts up to this id are done (resume point)
    counts TEXT NOT NULL DEFAULT '{}',      -- JSON: posts, changed, failed so far
    failures TEXT NOT NULL DEFAULT '[]'     -- JSON: the posts that failed and why
);
"""

V11 = """
CREATE TABLE recovered (                    -- captures `wixarchive recover` listed and fetched
    endpoint TEXT NOT NULL,                 -- the replay base it came from (--from)
    url TEXT NOT NULL,                      -- the capture's original URL, as the CDX lists it
    timestamp TEXT NOT NULL,                -- its 14-digit CDX timestamp ('' for an image
                                            -- the CDX was asked about: url is the image's)
    status INTEGER,
    digest TEXT,                            -- the CDX digest
    kind TEXT NOT NULL,                     -- 'page' | 'gone' | 'feed' | 'image'
    record_id TEXT,                         -- WARC-Record-ID it was stored under (NULL if none)
    outcome TEXT NOT NULL,                  -- 'fetched' | 'missing' (not replayed) | 'asked'
    spool TEXT,                             -- file in <archive>.recover/ awaiting import
    recovered_at TEXT NOT NULL,
    PRIMARY KEY (endpoint, url, timestamp)
) WITHOUT ROWID;
CREATE INDEX recovered_spool ON recovered(spool) WHERE spool IS NOT NULL;
"""


# v12: a post's videos and documents, by URL only unless fetched on request (crawler.media_kinds);
# a fetched one is a media row like an image, its bytes in the captures once per digest.
V12 = """
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    position INTEGER NOT NULL,              -- body order from 1
    url TEXT NOT NULL,
    kind TEXT NOT NULL,                     -- 'video' | 'document'
    content_type TEXT,                      -- as the page or the file name says, if known
    is_file INTEGER NOT NULL DEFAULT 1,     -- 0: a player page (YouTube, Vimeo), never fetched
    UNIQUE (post_id, position)
);
CREATE INDEX attachments_url ON attachments(url);
CREATE VIEW post_attachments AS
SELECT a.post_id, a.position, a.url, a.kind,
       coalesce(m.content_type, a.content_type) AS content_type, a.is_file,
       coalesce(m.status = 'stored', 0) AS fetched, m.status, m.fetched_at, m.bytes,
       m.payload_digest, m.error
FROM attachments a LEFT JOIN media m ON m.url = a.url;
"""

# v13: posts_cjk indexes the bigrams of a post's CJK text (archive/search/bigrams.py): its
# title's in posts.cjk_title, the rest's (author, tags, categories, body) in posts.cjk, ranked
# with the main index's weights for title and body. Only posts that have some are indexed;
# unicode61 without diacritic removal, since folding would merge kana that differ only by their
# voicing marks (カ and ガ).
CJK_TABLE = "posts_cjk"
CJK_COLUMNS = ("cjk_title", "cjk")
_CJK_NEW = " OR ".join(f"new.{c} IS NOT NULL" for c in CJK_COLUMNS)
_CJK_OLD = " OR ".join(f"old.{c} IS NOT NULL" for c in CJK_COLUMNS)
_CJK_RANK = f"bm25({FTS_WEIGHTS[0]}, {FTS_WEIGHTS[1]})"
V13 = f"""
ALTER TABLE posts ADD COLUMN cjk_title TEXT;
ALTER TABLE posts ADD COLUMN cjk TEXT;
CREATE VIRTUAL TABLE {CJK_TABLE} USING fts5(
    cjk_title, cjk, content='posts', content_rowid='id',
    tokenize='unicode61 remove_diacritics 0'
);
INSERT INTO {CJK_TABLE}({CJK_TABLE}, rank) VALUES ('rank', '{_CJK_RANK}');
CREATE TRIGGER {CJK_TABLE}_insert AFTER INSERT ON posts WHEN {_CJK_NEW} BEGIN
    INSERT INTO {CJK_TABLE}(rowid, cjk_title, cjk) VALUES (new.id, new.cjk_title, new.cjk);
END;
CREATE TRIGGER {CJK_TABLE}_delete AFTER DELETE ON posts WHEN {_CJK_OLD} BEGIN
    INSERT INTO {CJK_TABLE}({CJK_TABLE}, rowid, cjk_title, cjk)
        VALUES ('delete', old.id, old.cjk_title, old.cjk);
END;
CREATE TRIGGER {CJK_TABLE}_update AFTER UPDATE OF cjk_title, cjk ON posts BEGIN
    INSERT INTO {CJK_TABLE}({CJK_TABLE}, rowid, cjk_title, cjk)
        SELECT 'delete', old.id, old.cjk_title, old.cjk WHERE {_CJK_OLD};
    INSERT INTO {CJK_TABLE}(rowid, cjk_title, cjk)
        SELECT new.id, new.cjk_title, new.cjk WHERE {_CJK_NEW};
END;
"""


def _fts_triggers(count_changes: bool, skip_flagged: bool = False,
                  log_changes: bool = False, log_texts: bool = False) -> str:
    cols = ", ".join(FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    delete = (f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) "
              f"VALUES ('delete', old.id, {old});")
    insert = f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new});"
    bump = ("UPDATE search_meta SET value = value + 1 WHERE key = 'changes';"
            if count_changes else "")
    when = ("WHEN (SELECT value FROM search_meta WHERE key = 'index_later') = 0"
            if skip_flagged else "")
    # Appended to the counter bump only when logging, so earlier migrations' triggers keep
    # their exact text.
    tail = f"{bump} INSERT INTO search_changed (post_id) VALUES (old.id);" if log_changes else bump
    if log_texts:
        tail = (f"{bump} INSERT INTO search_changed (post_id, texts, {cols}) "
                f"VALUES (old.id, 1, {old});")
    return f"""
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts {when} BEGIN {insert} {bump} END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN {delete} {tail} END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF {cols} ON posts BEGIN {delete} {insert} {tail} END;
"""


def _v1(conn: sqlite3.Connection) -> None:
    _script(conn, V1)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _v2(conn: sqlite3.Connection) -> None:
    _script(conn, V2)
    # Carry the cover images of v1 posts over, so the new table is complete from the start.
    conn.execute(
        "INSERT INTO images (post_id, position, url, is_cover) "
        "SELECT id, 0, cover_image, 1 FROM posts WHERE cover_image IS NOT NULL"
    )


def _v3(conn: sqlite3.Connection) -> None:
    _script(conn, _fts_ddl())


def _v4(conn: sqlite3.Connection) -> None:
    _script(conn, V4)
    for trigger in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER posts_fts_{trigger}")
    _script(conn, _fts_triggers(count_changes=True))


def _v5(conn: sqlite3.Connection) -> None:
    _script(conn, V5)
    for trigger in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER posts_fts_{trigger}")
    _script(conn, _fts_triggers(count_changes=True, skip_flagged=True))
    for key, value in FTS_SETTINGS.items():
        conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES (?, ?)", (key, value))


def _v6(conn: sqlite3.Connection) -> None:
    _script(conn, V6)


def _v7(conn: sqlite3.Connection) -> None:
    _script(conn, V7)
    for trigger in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER posts_fts_{trigger}")
    _script(conn, _fts_triggers(count_changes=True, skip_flagged=True, log_changes=True))


def _v8(conn: sqlite3.Connection) -> None:
    _script(conn, V8)
    for trigger in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER posts_fts_{trigger}")
    _script(conn, _fts_triggers(count_changes=True, skip_flagged=True, log_texts=True))


def _v9(conn: sqlite3.Connection) -> None:
    _script(conn, V9)


def _v10(conn: sqlite3.Connection) -> None:
    _script(conn, V10)


def _v11(conn: sqlite3.Connection) -> None:
    _script(conn, V11)


def _v12(conn: sqlite3.Connection) -> None:
    _script(conn, V12)


def _v13(conn: sqlite3.Connection) -> None:
    from archive.search.bigrams import CJK_GLOB, index_text, word_count

    _script(conn, V13)
    # GLOB finds the rows with CJK text in C; only those are read into Python. Their word
    # counts are made as new posts' are (a Japanese paragraph was one word).
    columns = ("title", "author", "tags", "categories", "body")
    rows = conn.execute(f"SELECT id, {', '.join(columns)} FROM posts WHERE "
                        + " OR ".join(f"{c} GLOB ?" for c in columns),
                        [CJK_GLOB] * len(columns)).fetchall()
    conn.executemany("UPDATE posts SET cjk_title = ?, cjk = ?, word_count = ? WHERE id = ?",
                     [(index_text(row[1:2]), index_text(row[2:]), word_count(row[5] or ""),
                       row[0]) for row in rows])


# The media route and the article page look stored media up by payload digest; without an index
# that is a scan of the whole table per image (~70 ms at 200k media rows).
V14 = """
CREATE INDEX media_stored_digest ON media(payload_digest) WHERE status = 'stored';
"""


def _v14(conn: sqlite3.Connection) -> None:
    _script(conn, V14)


def _v15(conn: sqlite3.Connection) -> None:
    from datetime import UTC, datetime

    from crawler.discover.urls import normalize_url

    _v15_site_urls(conn)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    # Read as bytes: a URL that is not UTF-8 (written by another program) fails to decode as
    # text, which would leave the archive unopenable at this version.
    rows = conn.execute("SELECT id, CAST(url AS BLOB) FROM posts").fetchall()
    taken = {bytes(url).decode("utf-8", "replace") for _, url in rows}
    renamed, duplicates = [], []
    for post_id, raw in rows:
        try:
            url = bytes(raw).decode("utf-8")
            canonical = normalize_url(url)
        except ValueError:  # UnicodeDecodeError too
            continue  # no URL at all ("http://[bad"): nothing a crawl would compare
        if canonical == url:
            continue
        if canonical in taken:
            # A post archived twice, under two spellings: the second row is kept, marked
            # deleted now. No crawl would mark it: its check is made at the one form, the
            # first row's URL, which the site still answers.
            duplicates.append((now, post_id))
        else:
            taken.add(canonical)
            renamed.append((canonical, post_id))
    conn.executemany("UPDATE posts SET url = ? WHERE id = ?", renamed)
    conn.executemany("UPDATE posts SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                     duplicates)


def _v15_site_urls(conn: sqlite3.Connection) -> None:
    """Sites rows keyed by a non-ASCII host (`https://bücher.de/`, from a crawl started at that
    URL) take the IDNA form (`https://xn--bcher-kva.de/`) site_root gives now; a site that has
    a row under both has its runs and posts moved to the IDNA one and the other removed."""
    from crawler.discover.urls import site_root

    ids = dict(conn.execute("SELECT url, id FROM sites"))
    for url, old_id in list(ids.items()):
        try:
            root = site_root(url)
        except ValueError:
            continue  # no URL at all: nothing a crawl would compare
        if root == url:
            continue
        new_id = ids.get(root)
        if new_id is None:
            conn.execute("UPDATE sites SET url = ? WHERE id = ?", (root, old_id))
            ids[root] = old_id
            continue
        for table in ("crawl_runs", "posts"):
            conn.execute(f"UPDATE {table} SET site_id = ? WHERE site_id = ?", (new_id, old_id))
        name, first_seen, last_crawled = conn.execute(
            "SELECT name, first_seen, last_crawled FROM sites WHERE id = ?", (old_id,)).fetchone()
        conn.execute("UPDATE sites SET name = coalesce(name, ?), first_seen = min(first_seen, ?),"
                     " last_crawled = max(coalesce(last_crawled, ?), coalesce(?, last_crawled))"
                     " WHERE id = ?", (name, first_seen, last_crawled, last_crawled, new_id))
        conn.execute("DELETE FROM sites WHERE id = ?", (old_id,))


# v16: a record of a capture file that `check` found damaged (its gzip member does not inflate,
# fails its checksum or holds no WARC record) counts as lost, like one of a file missing or cut
# short (archive/lost_captures.py): a crawl captures its URL again. The row outlives the index
# row of the record (forgotten once captured again): the bytes stay in the file, and `check`
# then knows them for a damage already dealt with.
V16 = """
CREATE TABLE damaged_records (
    file_id INTEGER NOT NULL REFERENCES capture_files(id),
    offset INTEGER NOT NULL,                -- where the damaged gzip member starts
    record_id TEXT NOT NULL,                -- the captures.record_id indexed there when found
    found_at TEXT NOT NULL,
    PRIMARY KEY (file_id, offset)
) WITHOUT ROWID;
"""


def _v16(conn: sqlite3.Connection) -> None:
    _script(conn, V16)


# v17: a site's newest runs, by id (the order runs are listed in): crawl_runs_site orders each
# site's runs by started_at, so reading its newest 20 by id read and sorted all of them (an
# archive crawled hourly for months holds thousands a site).
# posts_site_totals: what `stats` counts of each site's posts (versions, words, deleted), read
# from the index alone; those columns too lie after the bodies (1.6 s at 210,000 posts when the
# file is in the page cache, 7-24 s when it is not).
# captures_file: `check` reads each capture file's index rows, which without it was a scan of
# every capture per file (an archive of 2,882 files and 394,509 captures: minutes).
# posts_last_changed and posts_deleted: `last_changed` and `deleted_at` come after the bodies in a
# posts row, so filtering or sorting on them without an index read every post whole (~9 s at
# 200,000 posts, past Datasette's 1 s limit for a query of its pages).
V17 = """
CREATE INDEX crawl_runs_site_id ON crawl_runs(site_id, id);
CREATE INDEX posts_last_changed ON posts(last_changed);
CREATE INDEX posts_deleted ON posts(deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX captures_file ON captures(file_id, offset);
CREATE INDEX posts_site_totals ON posts(site_id, version, word_count, deleted_at);
"""


def _v17(conn: sqlite3.Connection) -> None:
    _script(conn, V17)


# v18: the posts table page counts its posts by language (a Datasette facet): without an index
# the count read every posts row, whose pages hold the start of each body, past Datasette's
# 200 ms a facet at 70,000 posts already ("These facets timed out: language, …").
# captures_file_kinds: `stats` counts each capture file's records by kind (responses, revisits),
# which read every captures row through captures_file (425 ms of its 0.6 s at 131,000
# captures); from this index alone, ~110 ms.
V18 = """
CREATE INDEX posts_language ON posts(language);
CREATE INDEX captures_file_kinds ON captures(file_id, kind);
"""


def _v18(conn: sqlite3.Connection) -> None:
    _script(conn, V18)


# v19: posts_unmarked indexes the posts holding Hebrew or Arabic text, their vowel marks taken
# out (archive/search/marks.py), with posts_fts's columns, tokenizer, prefix index and weights,
# so that one MATCH expression runs on both, and a Hebrew or Arabic word is ranked among all the
# posts that may hold it in one index (bm25's statistics are an index's own). Its content is the
# view posts_unmarked_text: a field's text without marks where it has marks (posts.unmarked_*,
# filled by ingest), as written where it has none, for the posts flagged in
# posts.unmarked_index (MARKED, or 1 without marks; NULL: a 'rebuild' reads no other post).
# posts_in_unmarked, a partial index, lists them: search reads posts_unmarked only in an archive
# holding marks, and then leaves these posts out of posts_fts's matches. Its vocabulary is
# looked up as posts_fts's is, for the other spellings of a word (archive/search/casefold.py).
UNMARKED_TABLE = "posts_unmarked"
UNMARKED_VIEW = "posts_unmarked_text"
UNMARKED_COLUMNS = (*(f"unmarked_{column}" for column in FTS_COLUMNS), "unmarked_index")
IN_UNMARKED = "unmarked_index IS NOT NULL"
MARKED = 2  # unmarked_index of a post written with marks; 1: Hebrew or Arabic text without any


def _unmarked_values(row: str) -> str:
    return ", ".join(f"coalesce({row}.unmarked_{column}, {row}.{column})"
                     for column in FTS_COLUMNS)


_UNMARKED_NEW = f"new.{IN_UNMARKED}"
_UNMARKED_OLD = f"old.{IN_UNMARKED}"
_UNMARKED_ADD = "".join(f"ALTER TABLE posts ADD COLUMN {column} TEXT;\n"
                        for column in UNMARKED_COLUMNS[:-1])
V19 = _UNMARKED_ADD + "ALTER TABLE posts ADD COLUMN unmarked_index INTEGER;\n" + f"""
CREATE VIEW {UNMARKED_VIEW} AS SELECT id, {", ".join(
    f"coalesce(unmarked_{column}, {column}) AS {column}" for column in FTS_COLUMNS)}
    FROM posts WHERE {IN_UNMARKED};
CREATE INDEX posts_in_unmarked ON posts(unmarked_index) WHERE {IN_UNMARKED};
CREATE VIRTUAL TABLE {UNMARKED_TABLE} USING fts5(
    {", ".join(FTS_COLUMNS)}, content='{UNMARKED_VIEW}', content_rowid='id',
    tokenize='{FTS_TOKENIZE_V3}', prefix='{FTS_PREFIX}'
);
INSERT INTO {UNMARKED_TABLE}({UNMARKED_TABLE}, rank) VALUES ('rank', 'bm25({", ".join(
    str(weight) for weight in FTS_WEIGHTS)})');
CREATE VIRTUAL TABLE {UNMARKED_TABLE}_vocab USING fts5vocab({UNMARKED_TABLE}, 'row');
CREATE TRIGGER {UNMARKED_TABLE}_insert AFTER INSERT ON posts WHEN {_UNMARKED_NEW} BEGIN
    INSERT INTO {UNMARKED_TABLE}(rowid, {", ".join(FTS_COLUMNS)})
        VALUES (new.id, {_unmarked_values("new")});
END;
CREATE TRIGGER {UNMARKED_TABLE}_delete AFTER DELETE ON posts WHEN {_UNMARKED_OLD} BEGIN
    INSERT INTO {UNMARKED_TABLE}({UNMARKED_TABLE}, rowid, {", ".join(FTS_COLUMNS)})
        VALUES ('delete', old.id, {_unmarked_values("old")});
END;
CREATE TRIGGER {UNMARKED_TABLE}_update AFTER UPDATE OF {", ".join(FTS_COLUMNS + UNMARKED_COLUMNS)}
        ON posts BEGIN
    INSERT INTO {UNMARKED_TABLE}({UNMARKED_TABLE}, rowid, {", ".join(FTS_COLUMNS)})
        SELECT 'delete', old.id, {_unmarked_values("old")} WHERE {_UNMARKED_OLD};
    INSERT INTO {UNMARKED_TABLE}(rowid, {", ".join(FTS_COLUMNS)})
        SELECT new.id, {_unmarked_values("new")} WHERE {_UNMARKED_NEW};
END;
"""


def _v19(conn: sqlite3.Connection) -> None:
    from archive.search.marks import MARKS_GLOB

    _script(conn, V19)
    _store_unmarked(conn, MARKS_GLOB)


# v20: the Arabic tatweel is taken out of the mark-free text too (archive/search/marks.py), and
# a post holding one is written with marks: the posts holding one get their text without it.
def _v20(conn: sqlite3.Connection) -> None:
    from archive.search.marks import TATWEEL_GLOB

    _store_unmarked(conn, TATWEEL_GLOB)


# v21: a version's date (fetched_at, last_changed) is when its page was captured: an `import` or
# `recover` of an old web archive, a `reextract` (dated by the post's last fetch) or a crawl
# writer handed results fetched earlier store versions dated before they were stored, and a
# post found deleted by an import is dated by its web archive's 404; a post back after a
# deletion changes no date at all. What changed since an earlier export is what was *stored*
# since: posts.recorded_at, the archive's clock when it last stored a version of the post,
# found it deleted or found it back (archive/ingest.py, archive/store.py), and
# post_versions.stored_at, when each version was stored.
# The rows already archived get the latest time the archive knows each was stored by (a
# version: its fetch; for one from an import or recovery, its capture file's creation, which
# that command wrote; from a re-extraction, the end of the latest re-extraction run since its
# date), so that an incremental export after the upgrade takes a post again rather than
# missing it. A post's: the latest of its versions', its last_changed and its deleted_at (for
# a deletion an import or recovery found, when it wrote the 404's capture file). A return
# after a deletion left no trace: not known.
V21 = """
ALTER TABLE posts ADD COLUMN recorded_at TEXT;
ALTER TABLE post_versions ADD COLUMN stored_at TEXT;
UPDATE post_versions SET stored_at = max(fetched_at, coalesce((
    SELECT f.created_at FROM captures c JOIN capture_files f ON f.id = c.file_id
    WHERE c.record_id = post_versions.capture AND post_versions.source IN ('import', 'recover')
    ), ''), coalesce((
    SELECT max(coalesce(r.finished_at, r.started_at)) FROM reextractions r
    WHERE post_versions.source = 'reextract'
      AND coalesce(r.finished_at, r.started_at) >= post_versions.fetched_at), ''));
UPDATE posts SET recorded_at = max(last_changed, coalesce(deleted_at, ''), coalesce((
    SELECT max(v.stored_at) FROM post_versions v WHERE v.post_id = posts.id), ''),
    CASE WHEN deleted_at IS NULL THEN '' ELSE coalesce((
        SELECT max(f.created_at) FROM captures c JOIN capture_files f ON f.id = c.file_id
        WHERE c.url = posts.url AND c.status IN (404, 410)
          AND c.source IN ('import', 'recover')), '') END);
CREATE INDEX posts_recorded ON posts(recorded_at);
"""


def _v21(conn: sqlite3.Connection) -> None:
    _script(conn, V21)


# v22: the indexes of the posts' words, posts_fts and posts_unmarked, keep the combining marks
# inside words (FTS_TOKENIZE_V22): an FTS5 table's tokenizer is set when it is created, so both are
# made again, with their settings, and built from the posts; their vocabularies too, which
# read them. The posts' text is not rewritten: a 'rebuild' reads it. The search statistics
# were made of the old tokens (a list for क): they are made again at the next refresh, and
# search ranks exactly until then. posts_cjk holds CJK bigrams and is left as it is.
_WEIGHTS = ", ".join(str(weight) for weight in FTS_WEIGHTS)


def _remade_indexes(tokenize: str) -> str:
    """posts_fts and posts_unmarked made again with the tokenizer `tokenize` (SQL), settings
    and all, and built from the posts."""
    return f"""
DROP TABLE {FTS_TABLE}_vocab;
DROP TABLE {FTS_TABLE};
CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
    {", ".join(FTS_COLUMNS)}, content="posts", content_rowid='id',
    tokenize={tokenize}, prefix='{FTS_PREFIX}'
);
INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('rank', 'bm25({_WEIGHTS})');
{_fts_settings(FTS_TABLE)}INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild');
CREATE VIRTUAL TABLE {FTS_TABLE}_vocab USING fts5vocab({FTS_TABLE}, 'row');
DROP TABLE {UNMARKED_TABLE}_vocab;
DROP TABLE {UNMARKED_TABLE};
CREATE VIRTUAL TABLE {UNMARKED_TABLE} USING fts5(
    {", ".join(FTS_COLUMNS)}, content='{UNMARKED_VIEW}', content_rowid='id',
    tokenize={tokenize}, prefix='{FTS_PREFIX}'
);
INSERT INTO {UNMARKED_TABLE}({UNMARKED_TABLE}, rank) VALUES ('rank', 'bm25({_WEIGHTS})');
INSERT INTO {UNMARKED_TABLE}({UNMARKED_TABLE}) VALUES ('rebuild');
CREATE VIRTUAL TABLE {UNMARKED_TABLE}_vocab USING fts5vocab({UNMARKED_TABLE}, 'row');
UPDATE search_meta SET value = -1 WHERE key = 'stats_changes';
"""


V22 = _remade_indexes(FTS_TOKENIZE_V22_SQL)


def _v22(conn: sqlite3.Connection) -> None:
    _script(conn, V22)


# v23: tags and categories are one row per name_case key (archive/search/names.py), as --tag,
# the web's `_tag=` filter and the exports compare them; the name column's NOCASE folds ASCII
# letters only, so Çay and çay, or STRASSE and straße, were two rows, two facets and two terms
# of a WXR export. The rows sharing a key become the first archived one (the smallest id):
# the others' links move to it, a post linked to both keeps its first.
LISTS = (("tags", "post_tags", "tag_id"), ("categories", "post_categories", "category_id"))


def _v23(conn: sqlite3.Connection) -> None:
    from archive.search.names import name_case

    for table, links, column in LISTS:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN key TEXT")
        kept: dict[str, int] = {}
        keys, merged = [], []
        for name_id, name in conn.execute(f"SELECT id, name FROM {table} ORDER BY id").fetchall():
            key = name_case(name)
            first = kept.setdefault(key, name_id)
            if first == name_id:
                keys.append((key, name_id))
            else:
                merged.append((first, name_id))
        conn.executemany(f"UPDATE {table} SET key = ? WHERE id = ?", keys)
        conn.executemany(f"UPDATE OR IGNORE {links} SET {column} = ? WHERE {column} = ?", merged)
        conn.executemany(f"DELETE FROM {links} WHERE {column} = ?", [(m,) for _, m in merged])
        conn.executemany(f"DELETE FROM {table} WHERE id = ?", [(m,) for _, m in merged])
        conn.execute(f"CREATE UNIQUE INDEX {table}_key ON {table}(key)")


# v24: the indexes' tokenizer (FTS_TOKENIZE) no longer makes a Latin mark standing alone
# (` \u0301 `) an empty word: both indexes are made again, as in v22.
V24 = _remade_indexes(FTS_TOKENIZE_SQL)


def _v24(conn: sqlite3.Connection) -> None:
    _script(conn, V24)


def _store_unmarked(conn: sqlite3.Connection, glob: str) -> None:
    """The posts with a field matching `glob` get their text without marks, flagged MARKED."""
    from archive.search.marks import unmarked

    # GLOB finds the rows with marks in C; only those are read into Python (the update trigger
    # indexes them), then the other posts with Hebrew or Arabic text, if there were any.
    rows = conn.execute(f"SELECT id, {', '.join(FTS_COLUMNS)} FROM posts WHERE "
                        + " OR ".join(f"{column} GLOB ?" for column in FTS_COLUMNS),
                        [glob] * len(FTS_COLUMNS)).fetchall()
    conn.executemany(f"UPDATE posts SET {', '.join(f'{c} = ?' for c in UNMARKED_COLUMNS)} "
                     "WHERE id = ?", [(*map(unmarked, row[1:]), MARKED, row[0]) for row in rows])
    if rows:
        index_unmarked(conn)


def index_unmarked(conn: sqlite3.Connection) -> None:
    """Every post with Hebrew or Arabic text not yet in posts_unmarked put in it (its update
    trigger indexes it): once an archive holds a post written with marks, a Hebrew or Arabic
    word is ranked in posts_unmarked, among all the posts that may hold it. GLOB reads the
    texts in C."""
    from archive.search.marks import SCRIPT_GLOB

    conn.execute("UPDATE posts SET unmarked_index = 1 WHERE unmarked_index IS NULL AND ("
                 + " OR ".join(f"{column} GLOB ?" for column in FTS_COLUMNS) + ")",
                 [SCRIPT_GLOB] * len(FTS_COLUMNS))


class SearchIndex(NamedTuple):
    """A full-text index of the posts: `content`, the table or view it reads their text from,
    in its `columns`; `only`, the condition on that table's rows it holds, when it holds some
    of them (None: every row); `name`, what `check` calls it."""

    table: str
    content: str
    columns: tuple[str, ...]
    only: str | None = None
    name: str = "search index"


# The full-text indexes kept in step with posts by the triggers above, as `wixarchive check`
# compares each with its posts and `check --repair` rebuilds it (Archive.check,
# Archive.rebuild_index). An archive older than an index's version has not that index.
SEARCH_INDEXES = (
    SearchIndex(FTS_TABLE, "posts", FTS_COLUMNS),
    SearchIndex(CJK_TABLE, "posts", CJK_COLUMNS, " OR ".join(f"{column} IS NOT NULL"
                                                           for column in CJK_COLUMNS),
                "Chinese, Japanese and Korean search index"),
    SearchIndex(UNMARKED_TABLE, UNMARKED_VIEW, FTS_COLUMNS, name="Hebrew and Arabic search index"))


# v25: Datasette pages a table sorted descending with `(published < :key or published is null
# or (published = :key and id > :id)) order by published desc, id`; SQLite answers that OR with
# three searches of posts_published and a sort of all they find. In this order it reads the
# index from the top, filtering on its columns alone, and stops after the page.
# posts_site_recorded: the newest change stored of each site's posts (an export's
# newest_recorded_at, archive/export/source.py), a seek a site; it read every post of them,
# 31 s at 428,000 posts for an export of 758.
V25 = """
CREATE UNIQUE INDEX posts_newest ON posts(published DESC, id);
CREATE INDEX posts_site_recorded ON posts(site_id, recorded_at);
"""


def _v25(conn: sqlite3.Connection) -> None:
    _script(conn, V25)


# v26: the words written against CJK text in posts_cjk (archive/search/bigrams.py's index_text)
# lose their Hebrew and Arabic vowel marks, as queries do; nothing else there holds any. GLOB
# finds the rows holding some in C (a read of every post: 0.8 s, 0.2 s of CPU, at 50,500 posts
# and 710 MB, docs/benchmarks.md), and the update trigger indexes them again.
def _v26(conn: sqlite3.Connection) -> None:
    from archive.search.marks import MARKS_GLOB, strip

    rows = conn.execute(f"SELECT id, {', '.join(CJK_COLUMNS)} FROM posts WHERE "
                        + " OR ".join(f"{c} GLOB ?" for c in CJK_COLUMNS),
                        [MARKS_GLOB] * len(CJK_COLUMNS)).fetchall()
    conn.executemany(f"UPDATE posts SET {', '.join(f'{c} = ?' for c in CJK_COLUMNS)} "
                     "WHERE id = ?", [(*(text and strip(text) for text in row[1:]), row[0])
                                      for row in rows])


# v27: the posts sorted by recorded_at, newest first, page as by `published` (v25): through
# posts_recorded each page gathered and sorted every older post (0.6-0.9 s at 210,000).
V27 = """
CREATE UNIQUE INDEX posts_recorded_newest ON posts(recorded_at DESC, id);
"""


def _v27(conn: sqlite3.Connection) -> None:
    _script(conn, V27)


# v28: the captures `recover` fetched by the WARC-Record-ID a version names (post_versions.
# capture): what says where a recovered post's text came from (Archive.versions, the exports'
# `recovered`). Read without it, each recovered post scanned the whole table (45 ms at 100,000
# rows, against 8 µs through the index).
V28 = """
CREATE INDEX recovered_record ON recovered(record_id) WHERE record_id IS NOT NULL;
"""


def _v28(conn: sqlite3.Connection) -> None:
    _script(conn, V28)


# v29: the posts by their URL's last segment and its last word, lowercased (the 404 page's and
# `show SLUG`'s look-up, Archive.posts_by_slug): read without them, a mistyped address scanned
# every post (80-140 ms warm at 120,000 posts, 1.2 GB; 0.5 ms through them). rtrim(url, <its
# characters but '/'>) is the URL up to its last '/'. IF NOT EXISTS: an archive put back to an
# older version (the tests' way) may still hold them.
POST_SLUG = "lower(substr(url, length(rtrim(url, replace(url, '/', ''))) + 1))"
POST_SLUG_END = ("lower(substr(url, length(rtrim(url, replace(replace(url, '/', ''), '-', '')))"
                 " + 1))")
SLUG_INDEXES_FROM = 29  # the version that made them


def _v29(conn: sqlite3.Connection) -> None:
    _script(conn, f"CREATE INDEX IF NOT EXISTS posts_slug ON posts({POST_SLUG});\n"
                  f"CREATE INDEX IF NOT EXISTS posts_slug_end ON posts({POST_SLUG_END});")


# MIGRATIONS[n] upgrades a version-n archive to version n + 1.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    0: _v1, 1: _v2, 2: _v3, 3: _v4, 4: _v5, 5: _v6, 6: _v7, 7: _v8, 8: _v9, 9: _v10, 10: _v11,
    11: _v12, 12: _v13, 13: _v14, 14: _v15, 15: _v16, 16: _v17, 17: _v18, 18: _v19,
    19: _v20, 20: _v21, 21: _v22, 22: _v23, 23: _v24, 24: _v25, 25: _v26, 26: _v27, 27: _v28,
    28: _v29}


@contextmanager
def index_later(conn: sqlite3.Connection) -> Iterator[None]:
    """Inside the caller's write transaction: posts inserted in the block are indexed by one
    INSERT ... SELECT at its end instead of row by row by the trigger (~2.5x faster in FTS5).

    The flag is set and cleared inside the one transaction, so no other connection ever sees it
    set, and a crash rolls the posts and the flag back together. The finally clause indexes what
    was inserted even if the block fails, so a caller that commits anyway stays consistent.
    """
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM posts").fetchone()[0]
    conn.execute("UPDATE search_meta SET value = 1 WHERE key = 'index_later'")
    try:
        yield
    finally:
        cols = ", ".join(FTS_COLUMNS)
        added = conn.execute(f"INSERT INTO {FTS_TABLE}(rowid, {cols}) SELECT id, {cols} "
                             "FROM posts WHERE id >= ?", (first,)).rowcount
        conn.execute("UPDATE search_meta SET value = CASE key WHEN 'index_later' THEN 0 "
                     "ELSE value + ? END WHERE key IN ('index_later', 'changes')", (added,))


def _script(conn: sqlite3.Connection, sql: str) -> None:
    # executescript() would COMMIT our transaction; run statement by statement instead.
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, from_version: int) -> None:
    """Upgrade to SCHEMA_VERSION in place, inside the caller's open transaction. A Ctrl-C
    raises KeyboardInterrupt at once, even within a long statement, which SQLite then stops
    (rolling the transaction back)."""
    # One statement can run for minutes (v22 makes the search indexes again), all of it in
    # SQLite's C code, where Python runs no signal handler: a Ctrl-C waited for the upgrade's
    # end only to undo it (57.7 s of a 150,000-post archive). A progress handler is Python
    # code, where the KeyboardInterrupt is raised: SQLite stops the statement ("interrupted").
    conn.set_progress_handler(_signals_checked, SIGNALS_EVERY)
    try:
        for version in range(from_version, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
    except sqlite3.OperationalError as exc:
        if str(exc) == "interrupted":
            raise KeyboardInterrupt from None
        raise
    finally:
        conn.set_progress_handler(None, 0)


# SQLite virtual machine instructions between two looks for a signal during an upgrade (a few
# milliseconds of work: a Ctrl-C stops it at once, at no cost worth measuring).
SIGNALS_EVERY = 100_000


def _signals_checked() -> int:
    """The upgrade's progress handler: running it lets Python raise a pending Ctrl-C's
    KeyboardInterrupt, which makes SQLite stop the statement; else 0, go on."""
    return 0
