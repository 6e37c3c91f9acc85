"""Finding a post and a site however its URL is spelled: escapes in either case, a trailing
slash, and a host's `www.` spelling, which is the same site as its bare one."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.extract.record import Article

APEX = "http://example.com/"
WWW_POST = "http://www.example.com/post/cafe-au-lait"
ACCENTED = "https://cafe.example/post/caf%C3%A9-au-lait"  # as a crawl archives café-au-lait


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=120)


def article(url: str) -> Article:
    return Article(url=url, title="Café au lait", body_text="Milk and coffee, warm.",
                   body_html="<p>Milk and coffee, warm.</p>", body_markdown="Milk and coffee.",
                   published="2024-05-01T08:00:00Z", language="en")


def crawled_apex_into_www(db: Path) -> None:
    """What `crawl http://example.com/` leaves when the site redirects to www.example.com: the
    posts at their www URLs, under the site asked for."""
    with Archive.open(db) as archive:
        run = archive.start_run(APEX)
        archive.save_article(article(WWW_POST), run_id=run)
        archive.finish_run(run, status="ok", counts={"new": 1}, errors=[])


def test_a_crawl_of_the_www_spelling_uses_the_archived_bare_site(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    crawled_apex_into_www(db)
    with Archive.open(db) as archive:
        assert list(archive.known_posts("http://www.example.com/")) == [WWW_POST]
        run = archive.start_run("http://www.example.com/")
        assert archive.save_article(article(WWW_POST), run_id=run) == "unchanged"
        archive.finish_run(run, status="ok", counts={"unchanged": 1}, errors=[])
        assert [r[0] for r in archive.conn.execute("SELECT url FROM sites")] == [APEX]
        # www. or not, http or https: one site; another port is another site.
        archive.start_run("https://www.example.com/")
        archive.start_run("http://example.com:8080/")
        assert [r[0] for r in archive.conn.execute("SELECT url FROM sites ORDER BY id")] == [
            APEX, "http://example.com:8080/"]

    stats = json.loads(wixarchive("stats", "--db", str(db), "--json").stdout)["sites"]
    assert [(s["site"], s["posts"]) for s in stats][:1] == [(APEX, 1)]


def test_show_history_export_and_search_take_any_spelling_of_a_site(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    crawled_apex_into_www(db)

    shown = wixarchive("show", "http://example.com/post/cafe-au-lait", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "Café au lait" in shown.stdout
    assert (f"Notice: http://example.com/post/cafe-au-lait is archived as {WWW_POST} "
            "(www.example.com and example.com are the same site): using that") in shown.stderr
    history = wixarchive("history", "http://example.com/post/cafe-au-lait", "--db", str(db))
    assert history.returncode == 0, history.stderr

    out = tmp_path / "posts.jsonl"
    for site in ("www.example.com", "http://www.example.com/"):
        exported = wixarchive("export", "--site", site, str(out), "--db", str(db))
        assert exported.returncode == 0, exported.stderr
        assert [json.loads(line)["url"] for line in out.read_text().splitlines()] == [WWW_POST]
        assert f"Notice: {site} is archived as {APEX}" in exported.stderr
    # search too, saying which site it took (on stderr: the JSON on stdout stays valid)
    for site, why in (("www.example.com", "www.example.com and example.com are the same site"),
                      ("https://example.com/", "http and https are the same site")):
        searched = wixarchive("search", "coffee", "--site", site, "--json", "--db", str(db))
        assert [hit["url"] for hit in json.loads(searched.stdout)] == [WWW_POST], searched.stderr
        assert searched.stderr == f"Notice: {site} is archived as {APEX} ({why}): using that\n"
    counted = wixarchive("search", "--site", "example.com", "--site", "https://www.example.com",
                         "--count", "--json", "--db", str(db))
    assert json.loads(counted.stdout) == {"count": 1}
    assert counted.stderr.startswith("Notice: https://www.example.com is archived as "), (
        counted.stderr)


def test_a_post_is_found_by_every_spelling_a_crawl_takes_for_its_url(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_article(article(ACCENTED))
    spellings = ["https://cafe.example/post/caf%c3%a9-au-lait",  # escapes in lower case
                 "https://cafe.example/post/caf%c3%a9-au-lait/",
                 "https://CAFE.example/post/café-au-lait/?utm_source=news",
                 "https://cafe.example/post/café-au-lait", ACCENTED + "/"]
    with Archive.open(db, readonly=True) as archive:
        for spelling in spellings:
            assert (archive.post(spelling) or {}).get("url") == ACCENTED, spelling
            assert len(archive.versions(spelling)) == 1, spelling
        assert archive.post("http://[bad") is None
    for command in ("show", "history"):
        for spelling in spellings[:3]:
            result = wixarchive(command, spelling, "--db", str(db))
            assert result.returncode == 0, (command, spelling, result.stderr)


def test_show_and_history_say_a_post_is_missing_in_the_same_words(tmp_path: Path) -> None:
    """`show 999` said "no post '999' in a.db", `history 999` "no post archived at 999"."""
    db = tmp_path / "a.db"
    crawled_apex_into_www(db)
    for ref in ("999", "http://www.example.com/post/nosuch"):
        said = {command: wixarchive(command, ref, "--db", str(db))
                for command in ("show", "history")}
        for command, result in said.items():
            assert result.returncode == 1, (command, result.stdout)
            assert result.stderr == f"Error: no post {ref!r} in {db}\n", (command, result.stderr)


def test_many_urls_are_held_as_show_finds_each(tmp_path: Path) -> None:
    """`recover` asks which of the post URLs captured only as 404s the archive holds, all at
    once (Archive.held_posts): the answer is `show`'s for each (Archive.post) for every
    spelling, a canonical URL, and a post of a moved site asked for at its old address (at its
    old blog URL too), past one IN list (500) too. Asked one by one they took 0.5 s each at
    35,000 posts."""
    from archive.ingest import Fetch

    db = tmp_path / "archive.db"
    old, new = "https://old.example/post/moved-away", "https://new.example/post/moved-away"
    with Archive.open(db) as archive:
        archive.save_article(article(ACCENTED))
        archive.save_article(dataclasses.replace(article("https://cafe.example/post/x"),
                                                 canonical_url="https://cafe.example/post/named"))
        archive.save_article(article(old))
        archive.save_articles([Fetch(article(new), "2025-01-01T00:00:00+00:00", moved_from=old)])
    held = ["https://cafe.example/post/caf%c3%a9-au-lait/", "https://cafe.example/post/café-au-lait",
            "http://www.cafe.example/post/caf%C3%A9-au-lait", "https://cafe.example/post/named",
            old, "http://www.old.example/post/moved-away/", new,
            # Its old blog URL at the old address: the site left both at once.
            "https://old.example/single-post/2017/03/01/Moved-Away"]
    not_held = [f"https://cafe.example/post/gone-{n}" for n in range(600)] + [
        "https://old.example/post/never", "https://other.example/post/x", "http://[bad",
        "https://old.example/single-post/2017/03/01/Never"]
    with Archive.open(db, readonly=True) as archive:
        assert archive.post(old)["url"] == new  # type: ignore[index]
        for asked in (held + not_held[:5], held + not_held):
            found = archive.held_posts(asked)
            assert found == set(held)
            assert found == {url for url in asked if archive.post(url) is not None}


def test_an_old_blog_url_two_moved_posts_share_the_slug_of_names_neither(tmp_path: Path) -> None:
    """Two posts of a moved site at /post/moved-away and /post/Moved-Away: which of them the old
    blog URL /single-post/…/Moved-Away was cannot be told, and a crawl (old_blog_posts) leaves
    such a slug out. `show` and `history` showed the first of them, `recover` took the URL as
    held; they list both now, and `recover` does not count it held. A slug of one post still
    names it."""
    from archive.ingest import Fetch
    from crawler.discover.urls import old_blog_posts

    db = tmp_path / "archive.db"
    moves = [("https://old.example/post/moved-away", "https://new.example/post/moved-away"),
             ("https://old.example/post/Moved-Away", "https://new.example/post/Moved-Away"),
             ("https://old.example/post/alone", "https://new.example/post/Alone")]
    with Archive.open(db) as archive:
        for old, new in moves:
            archive.save_article(dataclasses.replace(article(old), title=new[-10:]))
            archive.save_articles([Fetch(dataclasses.replace(article(new), title=new[-10:]),
                                         "2025-01-01T00:00:00+00:00", moved_from=old)])
    shared = "https://old.example/single-post/2017/03/01/Moved-Away"
    alone = "https://old.example/single-post/2017/03/01/alone"
    assert old_blog_posts([shared, shared.replace("Moved-Away", "moved-away"), alone]) == {
        "alone": alone}
    with Archive.open(db, readonly=True) as archive:
        assert archive.post(shared) is None
        assert archive.held_posts([shared, alone]) == {alone}
        assert archive.post(alone)["url"] == "https://new.example/post/Alone"  # type: ignore[index]
    for command in ("show", "history"):
        result = wixarchive(command, shared, "--db", str(db))
        assert (result.returncode, result.stdout) == (1, ""), command
        assert result.stderr.splitlines() == [
            f"Error: no post {shared!r} in {db}: its slug, in any letter case, is that of 2 "
            "posts at its site's new blog, and which of them it was cannot be told; give the URL "
            "or id of the one you mean",
            "  1  https://new.example/post/moved-away  moved-away",
            "  2  https://new.example/post/Moved-Away  Moved-Away"], command
        assert wixarchive(command, alone, "--db", str(db)).returncode == 0


def test_show_and_history_take_a_post_slug_alone_and_list_the_posts_it_may_mean(
        tmp_path: Path) -> None:
    """`show the-quiet-hedge` (the slug of a post's URL alone) said "no post" and nothing more:
    the one post whose URL ends in it is shown, with a notice naming its URL; a slug ending the
    URLs of several posts, or part of a slug, lists the posts it may mean, by id and URL."""
    db = tmp_path / "a.db"
    hedge = "https://hedge.example/post/the-quiet-hedge"
    spring = ["https://a.example/post/spring-notes", "https://b.example/post/spring-notes"]
    with Archive.open(db) as archive:
        for url, title in ((hedge, "The quiet hedge"), (ACCENTED, "Café au lait"),
                           (spring[0], "Spring notes"), (spring[1], "Spring notes, again"),
                           ("https://quiet.example/post/quiet-mornings", "Quiet mornings"),
                           ("https://quietude.example/post/loud-days", "Loud days")):
            archive.save_article(dataclasses.replace(article(url), title=title))
        ids = {url: archive.post(url)["id"] for url in (hedge, *spring)}  # type: ignore[index]

    for command in ("show", "history"):
        for ref in ("the-quiet-hedge", "/post/the-quiet-hedge", "The-Quiet-Hedge/"):
            result = wixarchive(command, ref, "--db", str(db))
            assert result.returncode == 0, (command, ref, result.stderr)
            assert result.stderr == f"Notice: {ref} is archived as {hedge}: using that\n"
    shown = wixarchive("show", "the-quiet-hedge", "--db", str(db))
    assert shown.stdout.startswith("The quiet hedge\n") and f"URL: {hedge}" in shown.stdout
    # A non-Latin slug typed as it reads, archived percent-encoded.
    cafe = wixarchive("show", "café-au-lait", "--db", str(db))
    assert cafe.returncode == 0 and cafe.stdout.startswith("Café au lait\n"), cafe.stderr
    assert cafe.stderr == ("Notice: café-au-lait is archived as "
                           "https://cafe.example/post/café-au-lait: using that\n")

    # Two posts at that slug: both listed, none chosen.
    both = wixarchive("show", "spring-notes", "--db", str(db))
    assert both.returncode == 1 and not both.stdout
    assert both.stderr.splitlines() == [
        f"Error: no post 'spring-notes' in {db}; 2 posts' URLs end in it: give the URL or id "
        "of the one you mean",
        f"  {ids[spring[0]]}  {spring[0]}  Spring notes",
        f"  {ids[spring[1]]}  {spring[1]}  Spring notes, again"]
    # Part of a slug (a host holding it is no match): the posts it may mean.
    part = wixarchive("history", "quiet", "--db", str(db))
    assert part.returncode == 1 and not part.stdout
    assert part.stderr.splitlines()[0] == (
        f"Error: no post 'quiet' in {db}; 2 posts' URLs hold it: give the URL or id of the "
        "one you mean")
    assert [line.split()[1] for line in part.stderr.splitlines()[1:]] == [
        hedge, "https://quiet.example/post/quiet-mornings"]
    # Nothing like it: the error as before.
    none = wixarchive("show", "no-such-slug", "--db", str(db))
    assert none.returncode == 1 and none.stderr == f"Error: no post 'no-such-slug' in {db}\n"


def test_a_slug_typed_with_a_capital_accented_letter_finds_its_post(tmp_path: Path) -> None:
    """`show Über-uns` (a German slug typed as the word is written, capital Ü) said "no post"
    for the post archived at /post/über-uns, though `show Cafe-Au-Lait` finds café-au-lait in
    any case: the slug is matched percent-encoded, where SQL's lower() folds the ASCII letters
    only (%C3%9C is Ü, %C3%BC ü). Part of a slug too (`ÜBER`)."""
    db = tmp_path / "a.db"
    uber = "https://cafe.example/post/%C3%BCber-uns"
    with Archive.open(db) as archive:
        archive.save_article(dataclasses.replace(article(uber), title="Über uns"))
        archive.save_article(dataclasses.replace(article(ACCENTED), title="Café au lait"))
    for ref, title in (("Über-uns", "Über uns"), ("ÜBER-UNS", "Über uns"),
                       ("CAFÉ-AU-LAIT", "Café au lait"), ("über-uns", "Über uns")):
        shown = wixarchive("show", ref, "--db", str(db))
        assert shown.returncode == 0, (ref, shown.stderr)
        assert shown.stdout.startswith(f"{title}\n"), ref
    part = wixarchive("show", "ÜBER", "--db", str(db))
    assert part.returncode == 1 and not part.stdout
    assert part.stderr.splitlines()[0] == (
        f"Error: no post 'ÜBER' in {db}; 1 post's URL holds it: give the URL or id of the one "
        "you mean")


def test_a_numeric_slug_shows_its_post_and_is_named_beside_a_post_of_that_id(
        tmp_path: Path) -> None:
    """`show 2024` read the number as a post id only: a blog whose post is /post/2024 got
    "no post '2024'". With no post of that id the slug's post is shown, as any slug's; when a
    post has that id too, the id's is shown (ids keep working) and the slug's named on stderr
    (the JSON on stdout stays valid)."""
    db = tmp_path / "archive.db"
    year = "https://years.example/post/2024"
    with Archive.open(db) as archive:
        archive.save_articles([article(year)])
        for number in range(2, 6):
            archive.save_articles([dataclasses.replace(
                article(f"https://years.example/post/day-{number}"), title=f"Day {number}")])
    shown = wixarchive("show", "2024", "--json", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["url"] == year
    assert shown.stderr == f"Notice: 2024 is archived as {year}: using that\n"

    shown = wixarchive("show", "5", "--json", "--db", str(db))  # no slug ends in 5: as before
    assert (shown.returncode, json.loads(shown.stdout)["title"], shown.stderr) == (
        0, "Day 5", ""), shown.stderr
    with Archive.open(db) as archive:  # a post whose slug is another post's id
        archive.save_articles([dataclasses.replace(article("https://years.example/post/3"),
                                                   title="Three")])
    shown = wixarchive("show", "3", "--json", "--db", str(db))
    assert (shown.returncode, json.loads(shown.stdout)["title"]) == (0, "Day 3"), shown.stderr
    assert shown.stderr == ("Notice: 3 is read as post id 3; the post "
                            "https://years.example/post/3 (id 6) has it as its slug: give its "
                            "id or URL to see it\n"), shown.stderr


def test_a_number_no_post_id_can_be_or_a_digit_sign_is_no_traceback(tmp_path: Path) -> None:
    """`show 99999999999999999999999` (past SQLite's integers) stopped with an OverflowError
    traceback, and `show ²` (a digit to str.isdigit, no number to int) with a ValueError one;
    so did `show 1 --version ²` and `history 1 --diff 1 ²`. Neither is a post id or a version
    number: the post whose slug it is, else the usual "no post"; no such version."""
    db = tmp_path / "archive.db"
    huge = "99999999999999999999999"
    with Archive.open(db) as archive:
        archive.save_articles([article(f"https://years.example/post/{huge}"),
                               article("https://years.example/post/day")])
    for command in ("show", "history"):
        found = wixarchive(command, huge, "--db", str(db))
        assert found.returncode == 0, found.stderr
        assert found.stderr == f"Notice: {huge} is archived as https://years.example/post/{huge}" \
                               ": using that\n"
        missing = wixarchive(command, "²", "--db", str(db))
        assert (missing.returncode, missing.stderr) == (1, f"Error: no post '²' in {db}\n")
    version = wixarchive("show", "2", "--version", "²", "--db", str(db))
    assert version.returncode == 1 and version.stderr.startswith(
        "Error: https://years.example/post/day has versions 1 (ids "), version.stderr
    diff = wixarchive("history", "2", "--diff", "1", "²", "--db", str(db))
    assert diff.returncode != 0 and "Traceback" not in diff.stderr, diff.stderr
    with Archive.open(db, readonly=True) as archive:
        assert archive.post("18446744073709551616") is None
    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette
    client = Client(make_datasette(db))  # the article page answered 500 to both
    try:
        for path in (f"/archive/-/post/{huge}", "/archive/-/post/2.json?v=²"):
            assert client.get(path).status_code == 404, path
    finally:
        client.close()
