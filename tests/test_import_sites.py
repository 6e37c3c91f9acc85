"""Which site an import's pages go to: http and https captures of one blog are one site (as a
crawl has it), `history` and `show` find a post given with the other scheme or none, and a
WARC holding another blog says so (`import --site` keeps to one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from webarchives import table, wixarchive, write_warc

import wixarchive as wixarchive_api
from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog


def captured(blog: SampleBlog) -> tuple[str, list[tuple[str, bytes, str]]]:
    """The blog's URL while served, and its post pages as WARC responses."""
    with serve_blog(blog) as server:
        pages = [(server.url + post.url_path, server.respond(post.url_path).body,
                  "text/html; charset=utf-8") for post in blog.posts]
    return server.url, pages


def test_http_and_https_captures_of_one_blog_are_one_site(tmp_path: Path) -> None:
    blog = SampleBlog(seed=8, post_count=4)
    url, pages = captured(blog)  # http://127.0.0.1:PORT
    https = url.replace("http://", "https://")
    write_warc(tmp_path / "secure.warc.gz",
               [(u.replace("http://", "https://"), body, kind) for u, body, kind in pages[:2]])
    write_warc(tmp_path / "plain.warc.gz", pages[2:])
    db = tmp_path / "blog.db"
    first = wixarchive("import", str(tmp_path / "secure.warc.gz"), "--db", str(db))
    assert first.returncode == 0, first.stderr

    second = wixarchive("import", str(tmp_path / "plain.warc.gz"), "--db", str(db), "--json")
    assert second.returncode == 0, second.stderr
    assert table(db, "SELECT url FROM sites") == [(https + "/",)]
    assert json.loads(second.stdout)["sites"][https + "/"]["new_posts"] == 2
    assert (f"Notice: {url}/ is archived as {https}/ (http and https are the same site)"
            in second.stderr)
    assert "added a site" not in second.stderr

    # A post URL given with the other scheme, or none, finds the archived post.
    post = pages[2][0]
    for given in (post, post.removeprefix("http://")):
        for command in ("history", "show"):
            result = wixarchive(command, given, "--db", str(db))
            assert result.returncode == 0, (command, given, result.stderr)
    bare = wixarchive("history", post.removeprefix("http://"), "--db", str(db))
    assert (f"Notice: {post.removeprefix('http://')} is archived as "
            f"{post.replace('http://', 'https://')}" in bare.stderr)
    assert wixarchive("history", https + "/post/none", "--db", str(db)).returncode == 1

    # An archive of the http captures only: the https URL finds its post.
    plain = tmp_path / "plain.db"
    assert wixarchive("import", str(tmp_path / "plain.warc.gz"), "--db", str(plain)).returncode == 0
    secure = wixarchive("history", post.replace("http://", "https://"), "--db", str(plain))
    assert secure.returncode == 0, secure.stderr
    assert f"is archived as {post} (http and https are the same site)" in secure.stderr


def test_a_warc_of_another_blog_is_named_and_import_site_keeps_to_one(tmp_path: Path) -> None:
    mine_url, mine = captured(SampleBlog(seed=9, post_count=3))
    other_url, other = captured(SampleBlog(seed=10, post_count=2))
    db = tmp_path / "blog.db"
    write_warc(tmp_path / "mine.warc.gz", mine)
    assert wixarchive("import", str(tmp_path / "mine.warc.gz"), "--db", str(db)).returncode == 0
    write_warc(tmp_path / "colleague.warc.gz", mine + other)

    only = wixarchive("import", str(tmp_path / "colleague.warc.gz"), "--site", mine_url,
                      "--db", str(db), "--json")
    assert only.returncode == 0, only.stderr
    assert json.loads(only.stdout)["other_sites"] == 2
    assert table(db, "SELECT url FROM sites") == [(mine_url + "/",)]
    assert "Notice" not in only.stderr

    both = wixarchive("import", str(tmp_path / "colleague.warc.gz"), "--db", str(db))
    assert both.returncode == 0, both.stderr
    assert (f"Notice: added a site this archive did not hold: {other_url}/ (2 posts)"
            in both.stderr)
    assert sorted(table(db, "SELECT url FROM sites")) == sorted([(mine_url + "/",),
                                                          (other_url + "/",)])


def test_every_spelling_of_a_blog_by_scheme_and_www_is_one_site(tmp_path: Path) -> None:
    """An http WARC of www.blog.example.com goes to the archived https://blog.example.com/;
    `import --site blog.example.com` keeps the www. pages; `--site` given with the other
    scheme names the site, and the Python API finds a post by either spelling."""
    served, pages = captured(SampleBlog(seed=11, post_count=4))
    bare, www = "https://blog.example.com", "http://www.blog.example.com"
    write_warc(tmp_path / "secure.warc.gz",
               [(u.replace(served, bare), body, kind) for u, body, kind in pages[:2]])
    write_warc(tmp_path / "plain.warc.gz",
               [(u.replace(served, www), body, kind) for u, body, kind in pages[2:]])
    db = tmp_path / "blog.db"
    assert wixarchive("import", str(tmp_path / "secure.warc.gz"), "--db", str(db)).returncode == 0
    plain = wixarchive("import", str(tmp_path / "plain.warc.gz"), "--db", str(db), "--json")
    assert plain.returncode == 0, plain.stderr
    assert table(db, "SELECT url FROM sites") == [(bare + "/",)]
    assert json.loads(plain.stdout)["sites"][bare + "/"]["new_posts"] == 2
    assert (f"Notice: {www}/ is archived as {bare}/ (www.blog.example.com and "
            "blog.example.com are the same site)") in plain.stderr

    # --site by the bare host takes the www. pages, not counting them as another site's.
    only = wixarchive("import", str(tmp_path / "plain.warc.gz"), "--site", "blog.example.com",
                      "--db", str(tmp_path / "only.db"), "--json")
    assert only.returncode == 0, only.stderr
    assert json.loads(only.stdout)["other_sites"] == 0
    assert table(tmp_path / "only.db", "SELECT count(*) FROM posts") == [(2,)]

    # --site with the other scheme names the archived site, as `show` finds its posts.
    counted = wixarchive("search", "--count", "--site", "http://blog.example.com", "--db",
                         str(db))
    assert (counted.returncode, counted.stdout) == (0, "4\n"), counted.stderr
    exported = wixarchive("export", "--format", "jsonl", "-", "--site", "http://blog.example.com",
                          "--db", str(db))
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == 4
    assert (f"Notice: http://blog.example.com is archived as {bare}/ (http and https are the "
            "same site)") in exported.stderr

    # The API (Archive.post, wixarchive.diff) finds a post by a twin spelling, quietly.
    post = pages[3][0].replace(served, bare)
    with Archive.open(db, readonly=True) as archive:
        for spelling in (post.replace(bare, www), post.replace(bare, "http://blog.example.com")):
            assert (archive.post(spelling) or {}).get("url") == post, spelling
            assert wixarchive_api.diff(archive, spelling) == [], spelling
    shown = wixarchive("show", post.replace(bare, www), "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert f"is archived as {post}" in shown.stderr
    quiet = wixarchive("show", post, "--db", str(db))
    assert "Notice" not in quiet.stderr


def test_one_file_holding_a_blog_under_several_spellings_makes_one_site(tmp_path: Path) -> None:
    """A colleague's WARC of a gone blog (downloaded from the Wayback Machine) holds its
    captures under every spelling sites linked: http://blog.example.com, http://www.…,
    https://www.…. They are one site, under the spelling most of its pages have, whichever
    comes first in the file; the others are named as archived under it."""
    served, pages = captured(SampleBlog(seed=13, post_count=5))
    spellings = ["http://garden.example", "http://www.garden.example",
                 "https://www.garden.example", "https://www.garden.example",
                 "https://www.garden.example"]
    write_warc(tmp_path / "colleague.warc.gz",
               [(u.replace(served, spelling), body, kind)
                for (u, body, kind), spelling in zip(pages, spellings, strict=True)]
              # The first post captured again under the spelling most pages have.
              + [(pages[0][0].replace(served, spellings[-1]), pages[0][1], pages[0][2])])
    db = tmp_path / "blog.db"
    done = wixarchive("import", str(tmp_path / "colleague.warc.gz"), "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    assert table(db, "SELECT count(*) FROM posts") == [(5,)]  # the first post once
    assert table(db, "SELECT url FROM sites") == [("https://www.garden.example/",)]
    assert table(db, "SELECT count(*) FROM posts WHERE url LIKE 'https://www.garden.example/%'"
                 ) == [(5,)]
    assert json.loads(done.stdout)["respelled"] == {
        "http://garden.example/": "https://www.garden.example/",
        "http://www.garden.example/": "https://www.garden.example/"}
    assert ("Notice: http://garden.example/ is archived as https://www.garden.example/"
            in done.stderr)


@pytest.mark.parametrize("prefix, home_captures", [("post", 20), ("articles", 1)])
def test_an_imported_site_takes_the_spelling_its_posts_were_captured_at(
        tmp_path: Path, prefix: str, home_captures: int) -> None:
    """The Wayback Machine captures a blog's front page daily and its posts rarely: a WARC
    downloaded from it holding 20 captures of http://x.example/ and the 3 posts at
    https://www.x.example/post/… archives the site and its posts where the posts were
    captured, not at the front page's spelling (until 2026-12-07 every page voted). With no
    page at /post/ (the owner renamed it: /articles/<slug>) every page counts: the 3 posts
    still outvote one front page."""
    blog = SampleBlog(seed=21, post_count=3, post_prefix=prefix)
    with serve_blog(blog) as server:
        home = server.respond("/").body
        pages = [(server.url + post.url_path, server.respond(post.url_path).body,
                  "text/html; charset=utf-8") for post in blog.posts]
    posts = "https://www.x.example"
    write_warc(tmp_path / "wayback.warc.gz",
               [("http://x.example/", home, "text/html; charset=utf-8")] * home_captures
               + [(u.replace(server.url, posts), body, kind) for u, body, kind in pages])
    db = tmp_path / "blog.db"
    done = wixarchive("import", str(tmp_path / "wayback.warc.gz"), "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    assert table(db, "SELECT url FROM sites") == [(posts + "/",)]
    assert table(db, f"SELECT count(*) FROM posts WHERE url LIKE '{posts}/{prefix}/%'"
                 ) == [(3,)]
    assert table(db, "SELECT count(*) FROM posts") == [(3,)]


@pytest.mark.parametrize("given", ["http://www.tie.example", "https://tie.example"])
def test_import_site_given_breaks_a_spelling_tie_as_recover_does(tmp_path: Path,
                                                                 given: str) -> None:
    """Two posts captured at http://www.tie.example and two at https://tie.example: a tie.
    `import --site` goes to the spelling given, as `recover` does (captured_spelling); before,
    it went to the bare https spelling whichever was given."""
    served, pages = captured(SampleBlog(seed=31, post_count=4))
    spellings = ["http://www.tie.example", "https://tie.example"] * 2
    write_warc(tmp_path / "tie.warc.gz",
               [(u.replace(served, spelling), body, kind)
                for (u, body, kind), spelling in zip(pages, spellings, strict=True)])
    db = tmp_path / "blog.db"
    done = wixarchive("import", str(tmp_path / "tie.warc.gz"), "--db", str(db),
                      "--site", given)
    assert done.returncode == 0, done.stderr
    assert table(db, "SELECT url FROM sites") == [(given + "/",)]
    assert table(db, f"SELECT count(*) FROM posts WHERE url LIKE '{given}/post/%'") == [(4,)]


@pytest.mark.parametrize("site", ["", "   ", "http://", "https://", "ftp://blog.example.com"])
def test_recover_and_import_refuse_an_address_that_names_no_site_up_front(
        tmp_path: Path, site: str) -> None:
    """`recover ""` and `recover http://` went on to ask the CDX server about `https:///` (5
    tries, minutes), and `import --site ""` imported nothing of any site, each creating the
    archive: now one line says what a site URL looks like, exit 2, nothing written."""
    warc = tmp_path / "blog.warc.gz"
    write_warc(warc, [])
    db = tmp_path / "blog.db"
    for args in (("recover", site, "--from", "http://127.0.0.1:9/coll/"),
                 ("import", str(warc), "--site", site)):
        done = wixarchive(*args, "--db", str(db))
        assert done.returncode == 2, (args, done.stderr)
        errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and f"not a site URL: {site!r}" in errors[0], done.stderr
        assert "Traceback" not in done.stderr
        assert list(tmp_path.iterdir()) == [warc]
