"""The Datasette metadata wixarchive writes for an archive: titles, descriptions, facets, search.

Plain data (no Datasette import), merged by the plugin's `get_metadata` hook for every database
that is a wixarchive archive. The canned queries are metadata, not archive code: they only read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape

from archive.schema import CJK_TABLE, FTS_COLUMNS, FTS_TABLE, UNMARKED_TABLE

LICENSE = "Archived posts remain the copyright of their authors"
SOURCE = "Wix blogs, crawled and cleaned by wixarchive"

INSTANCE: dict[str, Any] = {
    "title": "wixarchive",
    "description": "Posts archived from Wix blogs, with every version kept. Use the ranked "
                   "search (Search in the menu) to find posts; each table exports as CSV or JSON.",
    "license": LICENSE,
    "source": SOURCE,
}

# table -> (title, description, {column: description})
TABLES: dict[str, tuple[str, str, dict[str, str]]] = {
    "sites": ("Sites", "One row per archived Wix blog (its root URL).", {
        "id": "Site id",
        "url": "Site root: https://host/ or https://user.wixsite.com/site/",
        "name": "Site name as the pages give it",
        "first_seen": "When the site was first crawled (UTC)",
        "last_crawled": "When the last crawl of the site finished (UTC)",
    }),
    "crawl_runs": ("Crawl runs", "One row per crawl of a site, with its counts and errors.", {
        "id": "Run id",
        "site_id": "The site crawled",
        "started_at": "Start time (UTC)",
        "finished_at": "End time (UTC); empty while running or after a crash",
        "status": "running while the crawl runs, then how it ended",
        "counts": "JSON object: number of posts per outcome (new, changed, deleted…)",
        "errors": "JSON array of error messages",
        "host": "The machine the crawl process ran on",
        "pid": "The crawl process's id: a `running` run whose process is gone is closed as "
               "interrupted",
    }),
    # Read first by someone who has never used Datasette: what the table is and what to click,
    # then the one technical point (the page's own JSON and CSV links follow the columns shown).
    "posts": ("Posts", "Every archived post, one row each, as it reads now; a post its site has "
              "since removed stays, with the date it went in deleted_at. To find posts, type "
              "words in the search box, or click a site, author, tag, category, year or "
              "language among the facets to keep only those posts. Click a post's title to "
              "read it as an article, with its images and its earlier versions. The post's "
              "text is left out of this table, and so of its JSON and CSV links; its id's "
              "page, and posts.json or posts.csv without _nocol, give every column.", {
        "id": "Post id (links to the post's row; its title links to the article page)",
        "site_id": "The site the post belongs to",
        "url": "The post's URL",
        "wix_post_id": "Wix's own post id, when the page exposes it",
        "title": "Title",
        "author": "Author as displayed",
        "published": "Publication date (ISO 8601)",
        "modified": "Last modification date the page gives (ISO 8601)",
        "reading_minutes": "Reading time Wix displays, in minutes",
        "language": "Language code of the page (en, fr, pt-BR…)",
        "canonical_url": "The page's canonical URL",
        "description": "The page's meta description",
        "cover_image": "Full-size URL of the cover image",
        "tags": "JSON array of tags",
        "categories": "JSON array of categories",
        "body": "Body as plain text, paragraphs separated by a blank line",
        "body_html": "Body as sanitized HTML",
        "body_markdown": "Body as Markdown",
        "word_count": "Words in the body (each Chinese or Japanese character counts as one)",
        "warnings": "JSON array of extraction warnings",
        "content_hash": "SHA-256 of what a reader sees; a new version is kept when it changes",
        "version": "Number of the current version",
        "first_seen": "When the post was first archived (UTC)",
        "last_seen": "When a crawl last saw the post (UTC)",
        "last_changed": "When the post's content last changed (UTC)",
        "lastmod": "The sitemap's lastmod when last seen",
        "etag": "HTTP ETag when last fetched",
        "http_last_modified": "HTTP Last-Modified when last fetched",
        "deleted_at": "When the post disappeared from its site (empty if still online)",
        "cjk_title": ("The title's Chinese, Japanese and Korean text as overlapping "
                      "two-character pieces, which the search indexes (empty without any)"),
        "cjk": ("The same for the author, tags, categories and body, with the Latin words "
                "written against such text (empty without any)"),
        **{f"unmarked_{column}": (f"The {column} without its Hebrew or Arabic vowel marks, "
                                  "which the search indexes (empty without any)")
           for column in FTS_COLUMNS},
        "unmarked_index": ("Set when the post holds Hebrew or Arabic text, indexed without "
                           "its vowel marks too (in an archive holding such marks): 2 when "
                           "written with marks, 1 without"),
        "recorded_at": ("When wixarchive last stored a change to the post (UTC), by its own "
                        "clock: a new version, a text rewritten by reextract, found deleted or "
                        "back; what export --changed-since compares"),
    }),
    "post_versions": ("Post versions", "Every distinct version of every post, oldest first; the "
                      "record column holds the whole article as zlib-compressed JSON: read it "
                      "in SQL with version_record(record), e.g. json_extract(version_record("
                      "record), '$.body_text').", {
        "id": "Version row id",
        "post_id": "The post",
        "version": "Version number, from 1",
        "run_id": "The crawl run that fetched it",
        "fetched_at": ("When it was fetched (UTC); for a recovered or imported version, when "
                       "the web archive captured the page"),
        "stored_at": "When wixarchive stored the version (UTC), by its own clock",
        "content_hash": "SHA-256 of the version's content",
        "title": "Title of that version",
        "record": ("The article as zlib-compressed JSON (the current version's texts are the "
                   "post's body, body_html and body_markdown): version_record(record) gives "
                   "the JSON text, version_record(record, body, body_html, body_markdown) "
                   "with the post's texts put back"),
        "capture": "WARC-Record-ID of the raw capture it was extracted from (captures)",
        "source": ("What made it: crawl, recover (wixarchive recover, from a web archive: "
                   "see recovered), import (wixarchive import of WARC or WACZ files) or "
                   "reextract (wixarchive reextract)"),
    }),
    "capture_files": ("Capture files", "The WARC files of raw captures in ARCHIVE.captures/.", {
        "id": "File id", "name": "File name in ARCHIVE.captures/",
        "created_at": "When its writer began it (UTC)",
        "closed_at": "When it was closed; empty while written or left by a stopped crawl",
        "bytes": "End of the last complete record indexed"}),
    "damaged_records": ("Damaged records", "Records `wixarchive check` found damaged inside "
                        "their capture files; the next crawl captures each again in full.", {
        "file_id": "The capture file", "offset": "Where the damaged record starts in the file",
        "record_id": "WARC-Record-ID indexed there when the damage was found",
        "found_at": "When check found it (UTC)"}),
    "captures": ("Captures", "Every HTTP response the crawls received, indexed in the WARC "
                 "files (revisit records stand for a payload already stored).", {
        "id": "Capture id", "record_id": "WARC-Record-ID",
        "kind": "response, or revisit (same payload as an earlier response)",
        "url": "The URL fetched", "fetched_at": "WARC-Date (UTC)", "status": "HTTP status",
        "content_type": "Content-Type of the response",
        "payload_digest": "WARC-Payload-Digest of the body (sha1, base32)",
        "payload_length": "Body length in bytes", "file_id": "The capture file",
        "offset": "Where the record starts in the file", "length": "Its length in the file",
        "source": "How it entered the archive: crawl, recover or import"}),
    "attachments": ("Videos and documents", "The videos and documents each post links or "
                    "embeds, by URL; fetched only on request (crawl --media-kinds). See the "
                    "view post_attachments for what fetching each gave.", {
        "id": "Row id", "post_id": "The post", "position": "Order in the body, from 1",
        "url": "The video or document URL", "kind": "video or document",
        "content_type": "Content type the page or the file name gives",
        "is_file": "1: a file (can be fetched); 0: a player page such as YouTube"}),
    "post_attachments": ("Post videos and documents", "Each post's videos and documents "
                         "with what fetching them gave (joined from attachments and media).", {
        "post_id": "The post", "position": "Order in the body, from 1", "url": "Its URL",
        "kind": "video or document", "content_type": "Content type (as served, once fetched)",
        "is_file": "1: a file; 0: a player page", "fetched": "1 when archived",
        "status": "stored, too-big, http-NNN or failed; empty if never fetched",
        "fetched_at": "When it was fetched (UTC)", "bytes": "Size in bytes",
        "payload_digest": "Digest of the stored bytes", "error": "Why it was not stored"}),
    "media": ("Media", "Post images (and videos and documents fetched on request) at full "
              "size; the bytes are in the captures.", {
        "url": "Full-size image URL (as in images.url), or attachments.url",
        "status": "stored, not-an-image, too-big, http-NNN or failed",
        "fetched_at": "When it was fetched (UTC)", "content_type": "Content-Type served",
        "bytes": "Size in bytes", "payload_digest": "Digest of the stored bytes",
        "capture": "WARC-Record-ID of its capture", "error": "Why it was not stored"}),
    "reextractions": ("Re-extractions", "Runs of wixarchive reextract and where each stands.", {
        "id": "Run id", "site": "The --site it was limited to", "started_at": "Started (UTC)",
        "finished_at": "Finished (UTC); empty while running or stopped",
        "last_post_id": "Posts up to this id are done (where a stopped run resumes)",
        "counts": "posts, changed, failed, without_capture (JSON)",
        "failures": "Posts that failed and why (JSON)"}),
    "recovered": ("Recovered captures", "Captures wixarchive recover listed in a Wayback "
                  "CDX server and fetched (so a second recover fetches them no more).", {
        "endpoint": "The archive's replay base (--from)",
        "url": "The capture's original URL (or, for kind image with no timestamp, an image "
               "the CDX was asked about)",
        "timestamp": "Its 14-digit CDX timestamp", "status": "HTTP status the CDX lists",
        "digest": "Payload digest the CDX lists",
        "kind": "page, gone, feed, image or probe (a page read to learn whether its path "
                "word holds posts)",
        "record_id": "WARC-Record-ID it was stored under (see captures)",
        "outcome": "fetched, missing (the archive did not replay it) or asked",
        "spool": "Spool file in ARCHIVE.recover/ awaiting import; empty once imported",
        "recovered_at": "When it was fetched (UTC)"}),
    "tags": ("Tags", "Every tag used by a post, once for all its spellings (any case).", {
        "id": "Tag id", "name": "Tag, spelled as first archived",
        "key": "The name as the tag filter compares it (case folded)"}),
    "post_tags": ("Post tags", "Which post has which tag.", {
        "post_id": "The post", "tag_id": "The tag", "position": "Order of the tag on the post"}),
    "categories": ("Categories", "Every blog category used by a post, once for all its "
                   "spellings (any case).", {
        "id": "Category id", "name": "Category, spelled as first archived",
        "key": "The name as the category filter compares it (case folded)"}),
    "post_categories": ("Post categories", "Which post is in which category.", {
        "post_id": "The post", "category_id": "The category",
        "position": "Order of the category on the post"}),
    "images": ("Images", "Images of each post by full-size URL: position 0 is the cover, then "
               "body order.", {
        "id": "Image id", "post_id": "The post", "position": "0 = cover, then body order",
        "url": "Full-size image URL", "is_cover": "1 for the cover image"}),
    FTS_TABLE: ("Search index", "FTS5 index over posts (title, body, author, tags, categories), "
                "ranked with bm25; the ranked search page uses it.", {}),
    CJK_TABLE: ("Search index, Chinese, Japanese and Korean", "FTS5 index over the posts' CJK "
                "text as two-character pieces, so a word is found inside an unspaced run; the "
                "ranked search page uses it.", {"cjk_title": "The post's cjk_title column",
                                                 "cjk": "The post's cjk column"}),
    UNMARKED_TABLE: ("Search index, Hebrew and Arabic", "FTS5 index over the posts holding "
                     "Hebrew or Arabic text, their vowel marks taken out, so a word is found "
                     "as typed without them; the ranked search page uses it.",
                     {column: f"The post's {column} without marks" for column in FTS_COLUMNS}),
    f"{UNMARKED_TABLE}_vocab": ("Search vocabulary, Hebrew and Arabic", "Every word of the "
                                "Hebrew and Arabic index, without vowel marks, with the number "
                                "of posts and occurrences.", {
        "term": "Indexed word", "doc": "Posts containing it", "cnt": "Occurrences"}),
    f"{FTS_TABLE}_vocab": ("Search vocabulary", "Every indexed word with the number of posts "
                           "and occurrences.", {
        "term": "Indexed word (lower case, accents folded)", "doc": "Posts containing it",
        "cnt": "Occurrences"}),
    "search_meta": ("Search statistics state", "Counters the ranked search uses to know "
                    "whether its statistics are current (internal).", {
        "key": "Counter name", "value": "Counter value"}),
    "search_terms": ("Common search terms", "Index terms found in more than half of the posts "
                     "(internal, for fast ranking).", {
        "term": "Indexed word", "doc": "Posts containing it"}),
    "search_top": ("Best posts per frequent term", "The best-ranked posts for each frequent "
                   "term, 3-letter prefix and word pair (internal, for fast ranking).", {
        "term": "Indexed word, prefix (abc*) or word pair", "position": "Rank position, from 0",
        "post_id": "The post", "rank": "bm25 rank (lower is better)"}),
    "search_lists": ("Posts matching each listed term", "How many posts matched each term, "
                     "prefix or word pair of search_top when it was ranked (internal).", {
        "term": "Indexed word, prefix (abc*) or word pair", "doc": "Posts matching it"}),
    "search_changed": ("Posts re-indexed since the search statistics", "Logged by the index "
                       "triggers with what the index held for the post before, cleared by each "
                       "statistics refresh (internal).", {
        "seq": "Order of the change", "post_id": "The post re-indexed or removed",
        "texts": "1 when the next columns hold the post's indexed texts before the change "
                 "(0: logged before v8)",
        **{column: "Indexed before the change" for column in FTS_COLUMNS}}),
}
# Tables hidden from the home and database pages (still reachable by URL, listed there under
# "hidden tables"): the search's bookkeeping, the capture index, the fetch records, the join
# tables and their lookup tables. Datasette's home page shows an archive's five biggest visible
# tables, so only posts, post_versions, crawl_runs and sites (and a view) remain for it.
HIDDEN = ("search_meta", "search_terms", "search_top", "search_lists", "search_changed",
          "captures", "capture_files", "damaged_records", "media", "images", "attachments",
          "recovered", "reextractions", "post_tags", "post_categories", "tags", "categories")

FACETS: dict[str, list[Any]] = {
    # Tags and categories counted from their join tables (list_facets.py), not Datasette's
    # array facet, which read every post whole (timed out at 210,000 posts).
    # Simple columns "counted" (facet_counts.py): the whole table's counts kept until the
    # archive changes, where Datasette's column facet read them again at every visit.
    "posts": [{"counted": "site_id"}, {"counted": "author"}, {"list": "tags"},
              {"list": "categories"}, {"year": "published"}, {"counted": "language"}],
    "crawl_runs": ["site_id", "status"],
    "images": ["is_cover"],
}

# The posts table's columns offered to sort by in a big archive (archive.web.sorts_every_column:
# a smaller one sorts by every column): those whose order, both ways, an index gives
# (the page read from it, sorting at most the ties of one value: a site's posts for site_id),
# stopping after the page. Sorting by another column sorts every post whole: at 200,000 posts
# `?_sort=word_count` (or first_seen, content_hash...) ran past Datasette's 1 s ("SQL
# Interrupted"); title, author or reading_minutes took 0.3-0.9 s, twice that at 428,000.
# recorded_at newest first reads posts_recorded_newest (v27) as published reads posts_newest:
# through posts_recorded alone (recorded_at may be null, so the page's "after this key" clause
# holds `or recorded_at is null`) SQLite searched it three times and sorted all it found, 0.56 s
# (0.6-0.9 s at 210,000); an archive from before v27 served read-only does not sort by it
# (archive.web.sortable_posts).
# Datasette then answers "Cannot sort table by word_count" (400, saying which sorts there are:
# plugin.handle_exception); "Posts changed since a date" lists posts by recorded_at.
SORTABLE_POSTS = ("id", "site_id", "url", "published", "last_changed", "recorded_at")

# Canned queries: read-only SQL people reach for; each exports as CSV/JSON like any table. A
# `post_id` column makes the row's title link to the article page (plugin.render_cell).
QUERIES: dict[str, dict[str, Any]] = {
    "recent_posts": {
        "title": "Recent posts per site",
        "description": "The 10 most recently published posts of every site (deleted excluded).",
        # Each site's 10 newest through the index by site and date: a window over all posts
        # read every post whole (7.5 s at 200,000 posts: "SQL Interrupted").
        "sql": """select s.url as site, p.published, p.title, p.author, p.url, p.id as post_id
from sites s join posts p on p.id in (
  select id from posts where site_id = s.id and deleted_at is null
  order by published desc limit 10)
order by site, published desc""",
    },
    # What `export --changed-since` takes: when the archive stored the change (recorded_at),
    # not the date it carries (an imported version's last_changed is its capture's, often
    # long before it was stored: by that date the query missed it).
    "changed_since": {
        "title": "Posts changed since a date",
        "description": "Posts the archive stored a change of on or after a date (YYYY-MM-DD, "
                       "or a UTC time as 2026-12-06T15:31:36+00:00): a new version (even one "
                       "dated earlier, as an import's), a deletion found, a return; what "
                       "`wixarchive export --changed-since` exports.",
        "sql": """select p.recorded_at, p.last_changed, p.version, p.deleted_at, p.title,
  s.url as site, p.url, p.id as post_id
from posts p join sites s on s.id = p.site_id
where p.recorded_at >= :since
order by p.recorded_at desc""",
    },
    "deleted_posts": {
        "title": "Deleted posts",
        "description": "Posts that disappeared from their site; their text is still archived.",
        "sql": """select p.deleted_at, p.title, s.url as site, p.published, p.url,
  p.id as post_id
from posts p join sites s on s.id = p.site_id
where p.deleted_at is not null
order by p.deleted_at desc""",
    },
    "tag_counts": {
        "title": "Tags by number of posts",
        "description": "Every tag with the number of posts that carry it.",
        "sql": """select t.name as tag, count(*) as posts
from tags t join post_tags pt on pt.tag_id = t.id
group by t.id order by posts desc, tag""",
    },
}


# Canned queries whose rows are the posts table's filtered: a query's CSV stops at
# max_returned_rows (1,000; Datasette streams tables, not queries), so its page links the
# table's streamed CSV of the same posts and columns (site_id with the site's URL as its label):
# {query: (the table's filter, its value or the query's parameter named by ":", columns)}.
QUERY_AS_TABLE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "changed_since": ("recorded_at__gte", ":since", (
        "recorded_at", "last_changed", "version", "deleted_at", "title", "site_id", "url")),
    "deleted_posts": ("deleted_at__notnull", "1", (
        "deleted_at", "title", "site_id", "published", "url")),
}


# Canned queries whose rows are bounded by the archive's sites or tags, not its posts (10 posts a
# site, one row a tag): past max_returned_rows their page links their whole CSV, read at once
# (views/whole_query.py).
WHOLE_QUERIES = ("recent_posts", "tag_counts")


def every_row_csv(query: str, args: Any, records_changes: bool = True) -> str | None:
    """The query string of the posts table's streamed CSV holding every row of canned `query`
    asked with `args` (its page's), or None when no table filter gives them."""
    found = QUERY_AS_TABLE.get(query)
    if found is None or (query == "changed_since" and not records_changes):
        return None  # before v21 changed_since reads two dates, which no filter of one does
    arg, value, columns = found
    if value.startswith(":"):
        value = args.get(value[1:]) or ""
        if not value:
            return None
    return urlencode([(arg, value), *(("_col", column) for column in columns),
                      ("_labels", "on"), ("_stream", "on"), ("_size", "max")])  # as the
    # page's "stream all rows" form asks: with max_returned_rows below the page size (100),
    # Datasette's stream without it stops after its first page


def instance_description_html(search_url: str) -> str:
    """The home page's description: INSTANCE's, the ranked search a link on it."""
    return str(Markup('Posts archived from Wix blogs, with every version kept. '
                      '<a href="{}">Search the posts</a> (ranked, with highlighted snippets); '
                      "each table exports as CSV or JSON.").format(search_url))


# An archive from before v21, served read-only as it is, has no recorded_at: the dates it has,
# as `export --changed-since` reads it.
CHANGED_SINCE_BEFORE_V21 = """select p.last_changed, p.version, p.deleted_at, p.title,
  s.url as site, p.url, p.id as post_id
from posts p join sites s on s.id = p.site_id
where p.last_changed >= :since or p.deleted_at >= :since
order by max(p.last_changed, coalesce(p.deleted_at, '')) desc"""


def database_metadata(sites: list[str] | None = None, search_url: str | None = None,
                      records_changes: bool = True, sorts_every_column: bool = True,
                      sortable: tuple[str, ...] = SORTABLE_POSTS) -> dict[str, Any]:
    """Metadata for one archive database; `sites` (root URLs) and a link to its ranked search
    page go into its description; `records_changes`: whether its posts have recorded_at
    (v21), which the changed_since query reads; `sorts_every_column`: whether its posts table
    sorts by every column, else only by `sortable` (archive.web.sortable_posts)."""
    tables: dict[str, Any] = {}
    for name, (title, description, columns) in TABLES.items():
        table: dict[str, Any] = {"title": title, "description": description}
        if columns:
            # The table page shows these in each column's menu and in a collapsed "Column
            # notes" list, not as Datasette's open list above the rows (plugin.py).
            table["columns"] = dict(columns)
            table["description"] += (" Each column's ⚙ menu and the table page's Column "
                                     "notes say what it holds.")
        if name in FACETS:
            table["facets"] = list(FACETS[name])
        if name in HIDDEN:
            table["hidden"] = True
        tables[name] = table
    # No default sort: Datasette's keyset paging (and so CSV streaming) skips rows when sorting
    # by a column with ties such as `published`, so tables keep their stable rowid order.
    tables["posts"].update(fts_table=FTS_TABLE, fts_pk="id")
    if not sorts_every_column:
        tables["posts"]["sortable_columns"] = list(sortable)
    tables["sites"]["label_column"] = "url"
    tables["tags"]["label_column"] = "name"
    tables["categories"]["label_column"] = "name"
    description = "A wixarchive archive of Wix blog posts."
    if sites:
        shown = ", ".join(sites[:10]) + (f" and {len(sites) - 10} more" if len(sites) > 10 else "")
        description += f" Sites: {shown}."
    html = escape(description)
    if search_url:
        html += Markup(f' <a href="{escape(search_url)}">Ranked search with highlighted '
                       "snippets</a>.")
    queries = {name: dict(query) for name, query in QUERIES.items()}
    if not records_changes:
        queries["changed_since"]["sql"] = CHANGED_SINCE_BEFORE_V21
    return {
        "title": "Archived Wix blogs",
        "description": description,
        "description_html": str(html),
        "license": LICENSE,
        "source": SOURCE,
        "tables": tables,
        "queries": queries,
    }
