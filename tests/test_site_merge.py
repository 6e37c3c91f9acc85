"""`wixarchive sites merge OLD NEW`, and the crawl that says to run it: a blog that moved host
while the archive never saw its old address redirect (the old address dead or parked by the
time the new one was crawled) was two sites, each post stored and found twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import wixarchive
from archive.store import Archive
from crawler.extract.record import Article
from crawler.sample_site import SampleBlog, serve_blog

FAST = ["--delay", "0", "--no-autothrottle", "--no-media"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=300)


def titled(search: subprocess.CompletedProcess[str], title: str) -> list[str]:
    """The URLs of the hits of a `search --json` with this title, sorted."""
    assert search.returncode == 0, search.stderr
    return sorted(hit["url"] for hit in json.loads(search.stdout) if hit["title"] == title)


def test_a_blog_crawled_at_its_new_address_only_is_joined_to_its_archived_site(tmp_path: Path):
    """OLD archived, then gone; the blog at NEW (one post edited meanwhile) crawled as a new
    site: 5 posts fetched and stored again, search finding each twice, not a word said. Now
    the crawl names the likely move and the command joining them, which makes one site of
    them: each post once, at NEW, its versions from both in time order, both runs kept, the
    search index in step; a crawl of NEW then continues the site, fetching no post again."""
    blog = SampleBlog(seed=21, post_count=5)
    db = tmp_path / "archive.db"
    with serve_blog(blog, host="127.0.0.2") as old_home:
        first = run("crawl", old_home.url, "--db", str(db), "--json", *FAST)
    edited = blog.edit_post(blog.posts[1].slug, paragraphs=["Written at the new address."])
    kept = blog.posts[3]
    with serve_blog(blog) as new_home:
        second = run("crawl", new_home.url, "--db", str(db), "--json", *FAST)
        old_root, new_root = old_home.url + "/", new_home.url + "/"
        twice = run("search", kept.title, "--db", str(db), "--json")
        runs = run("runs", "--db", str(db))
        refused = [run("sites", "merge", old_root, old_home.url, "--db", str(db)),
                   run("sites", "merge", old_root, "https://nowhere.example/", "--db", str(db)),
                   run("sites", "merge", new_root, old_root, "--db", str(db))]
        merged = run("sites", "merge", old_root, new_root, "--db", str(db), "--json")
        new_home.request_log.clear()
        third = run("crawl", new_home.url, "--db", str(db), "--json", *FAST)
        asked = [path for path in new_home.request_log if "/post/" in path]
    assert json.loads(first.stdout)["counts"]["new"] == 5, first.stderr
    assert second.returncode == 0, second.stderr
    found = json.loads(second.stdout)
    assert found["likely_moved_from"] == old_root
    note = (f"the same blog as {old_root}? 5 of its 5 posts are archived there at the same "
            f"paths or titles: if the blog moved here, join them (wixarchive sites merge "
            f"{old_root} {new_root})")
    assert note in found["message"], found["message"]
    assert f"↳ {note}" in runs.stdout, runs.stdout  # kept with the run
    assert titled(twice, kept.title) == sorted(root + kept.url_path.lstrip("/")
                                               for root in (old_root, new_root))
    assert [r.returncode for r in refused] == [1, 1, 1]
    assert refused[0].stderr.startswith("Error: ") and "one archived site" in refused[0].stderr
    assert refused[1].stderr.startswith("Error: no archived site matches")
    # The wrong way round (NEW OLD), the posts took their URLs at the address the blog left,
    # and the next crawl of NEW stored all 5 again as new posts: refused, the order named.
    assert refused[2].stderr.startswith(f"Error: {old_root}'s posts were last seen ("), \
        refused[2].stderr
    assert refused[2].stderr.rstrip().endswith(
        f"the blog moved from {old_root} to {new_root}? The address it left comes first: "
        f"wixarchive sites merge {old_root} {new_root}"), refused[2].stderr
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout) == {
        "site": old_root, "merged": new_root, "address": new_root, "joined": 5, "moved": 0,
        "readdressed": 0, "versions": 6, "unchanged": 4, "runs": 1}
    assert third.returncode == 0, third.stderr
    again = json.loads(third.stdout)
    assert again["message"].startswith(
        f"5 posts: 0 new, 0 changed, 5 unchanged; continues the site archived at {old_root}"), \
        again["message"]
    assert again["likely_moved_from"] is None
    assert asked == []
    with Archive.open(db, readonly=True) as archive:
        assert [(row["site"], row["posts"]) for row in archive.stats()] == [(old_root, 5)]
        assert [run["site"] for run in archive.runs()] == [old_root] * 3
        versions = archive.versions(new_root + edited.url_path.lstrip("/"))
        assert [(v["version"], v["record"]["url"]) for v in versions] == [
            (1, old_root + edited.url_path.lstrip("/")),
            (2, new_root + edited.url_path.lstrip("/"))]
        assert "Written at the new address." in archive.post(
            new_root + edited.url_path.lstrip("/"))["body"]
        assert "Written at the new address." not in versions[0]["record"]["body_text"]
        assert archive.post(old_root + kept.url_path.lstrip("/"))["url"] == (
            new_root + kept.url_path.lstrip("/"))  # found by its old URL too
    once = run("search", kept.title, "--db", str(db), "--json")
    assert titled(once, kept.title) == [new_root + kept.url_path.lstrip("/")]
    checked = run("check", "--db", str(db))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with wixarchive.open(db) as archive:
        try:
            wixarchive.merge_sites(archive, old_root, new_root)
        except ValueError as exc:
            assert "one archived site" in str(exc)
        else:
            raise AssertionError("merged a site into itself")


def test_a_post_changed_last_at_the_old_address_keeps_that_version_as_its_own(
        tmp_path: Path):
    """Both addresses served the blog (the old one parked on a copy): the old one crawled
    last, after an edit. The merged post is the old address's newest version (its text, tags,
    title), under the new site's larger post id, with its two versions in time order (the
    fetch at the new address, unchanged, is no version of its own)."""
    blog = SampleBlog(seed=22, post_count=3)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as new_home, serve_blog(blog, host="127.0.0.2") as old_home:
        run("crawl", old_home.url, "--db", str(db), *FAST)
        run("crawl", new_home.url, "--db", str(db), *FAST)
        original = blog.posts[0].title
        edited = blog.edit_post(blog.posts[0].slug, title="Renamed at the old address",
                                paragraphs=["Edited where the blog was."])
        run("crawl", old_home.url, "--db", str(db), *FAST)
        assert run("sites", "add", old_home.url, "--db", str(db)).returncode == 0
        merged = run("sites", "merge", old_home.url, new_home.url, "--db", str(db))
    new_url = new_home.url + edited.url_path
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.startswith(f"Merged {new_home.url}/ into {old_home.url}/: its posts "
                                    f"are at {new_home.url}/ now; 3 archived under both are "
                                    "one post each (4 versions; 3 fetched unchanged at the "
                                    "other address kept once)"), merged.stdout
    assert merged.stdout.endswith(
        f"The sites file still lists {old_home.url}, the address the blog left: wixarchive "
        f"sites remove {old_home.url} (and list {new_home.url}/ if it is not listed)\n"), \
        merged.stdout
    with Archive.open(db, readonly=True) as archive:
        post = archive.post(new_url)
        assert (post["title"], post["version"]) == ("Renamed at the old address", 2)
        assert "Edited where the blog was." in post["body"]
        assert post["id"] > 3  # the new site's row: no id a later post could take again
        assert [(v["record"]["url"].split("/post/")[0], v["title"])
                for v in archive.versions(new_url)] == [
            (old_home.url, original), (old_home.url, "Renamed at the old address")]
        assert [row["posts"] for row in archive.stats()] == [3]
    renamed = run("search", "renamed old address", "--db", str(db), "--json")
    assert titled(renamed, "Renamed at the old address") == [new_url]
    assert titled(run("search", original, "--db", str(db), "--json"), original) == []
    checked = run("check", "--db", str(db))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def post_at(root: str, body: str) -> Article:
    return Article(url=f"{root}post/hello", title="Hello", body_text=body,
                   body_html=f"<p>{body}</p>", body_markdown=body)


def test_a_version_dated_before_an_earlier_one_stays_the_posts_row(tmp_path: Path):
    """A post's current version can be dated before the one it followed (an import of an older
    capture). Sorted by date alone it was no longer the last version while the row still held
    its text: the post said one text and its last version another, and the record that leaves
    its texts to the row was read with a text not its own."""
    old, new = "https://old.example/", "https://new.example/"
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_article(post_at(old, "First."), fetched_at="2024-01-01T00:00:00+00:00")
        archive.save_article(post_at(new, "At the new address."),
                             fetched_at="2024-03-01T00:00:00+00:00")
        archive.save_article(post_at(new, "Imported, older."),
                             fetched_at="2024-02-01T00:00:00+00:00")
        with pytest.raises(ValueError, match=f"comes first: wixarchive sites merge {old} {new}"):
            wixarchive.merge_sites(archive, new, old)  # the wrong way round
        wixarchive.merge_sites(archive, old, new)
        post = archive.post(f"{new}post/hello")
        versions = archive.versions(post["id"])
    assert (post["body"], post["version"]) == ("Imported, older.", 3)
    assert [v["record"]["body_text"] for v in versions] == [
        "First.", "At the new address.", "Imported, older."]


def post_titled(root: str, slug: str, title: str, body: str) -> Article:
    return Article(url=f"{root}post/{slug}", title=title, body_text=body,
                   body_html=f"<p>{body}</p>", body_markdown=body)


def test_a_post_fetched_unchanged_at_both_addresses_keeps_one_version(tmp_path: Path):
    """A post unchanged since the move, stored once at each address, became one post with two
    versions of one content (the same version id twice in its history). Merged now, it keeps
    the older, the fetch at the new address its last sighting, as a crawl following the move
    would have filed it; a post that changed and changed back keeps each change; a post whose
    title alone matches (its slug changed with the move) is not joined."""
    old, new = "https://old.example/", "https://new.example/"
    jan, feb, mar = (f"2024-0{month}-01T00:00:00+00:00" for month in (1, 2, 3))
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_article(post_titled(old, "same", "Same", "Unchanged."), fetched_at=jan)
        archive.save_article(post_titled(new, "same", "Same", "Unchanged."), fetched_at=mar)
        archive.save_article(post_titled(old, "back", "Back", "One."), fetched_at=jan)
        archive.save_article(post_titled(old, "back", "Back", "Two."), fetched_at=feb)
        archive.save_article(post_titled(new, "back", "Back", "One."), fetched_at=mar)
        archive.save_article(post_titled(old, "slug", "Moved slug", "Text."), fetched_at=jan)
        archive.save_article(post_titled(new, "new-slug", "Moved slug", "Text."), fetched_at=mar)
        result = wixarchive.merge_sites(archive, old, new)
        same = archive.post(f"{new}post/same")
        same_versions = archive.versions(same["id"])
        back_versions = archive.versions(f"{new}post/back")
        titled_posts = sorted(row[0] for row in archive.conn.execute(
            "SELECT url FROM posts WHERE title = 'Moved slug'"))
        problems = archive.check()
    assert result.to_dict() == {
        "site": old, "merged": new, "address": new, "joined": 2, "moved": 1,
        "readdressed": 1, "versions": 4, "unchanged": 1, "runs": 0}
    assert same["version"] == 1 and same["body"] == "Unchanged."
    assert (same["first_seen"], same["last_seen"]) == (jan, mar)
    assert [(v["version"], v["fetched_at"], v["record"]["url"]) for v in same_versions] == [
        (1, jan, f"{old}post/same")]
    assert [(v["fetched_at"], v["record"]["body_text"]) for v in back_versions] == [
        (jan, "One."), (feb, "Two."), (mar, "One.")]
    assert titled_posts == [f"{new}post/new-slug", f"{new}post/slug"]
    assert problems == []


def test_a_post_whose_title_alone_matches_is_not_joined(tmp_path: Path):
    """The blog renamed a post's slug when it moved: the crawl's "same blog" note counts it
    (its title), but the merge joins posts at one path only. The old post takes its URL at the
    new address under its old path, where the next crawl finds it gone (404) and marks it
    deleted, its version kept; the renamed one stays a post of its own."""
    blog = SampleBlog(seed=23, post_count=3)
    db = tmp_path / "archive.db"
    with serve_blog(blog, host="127.0.0.2") as old_home:
        run("crawl", old_home.url, "--db", str(db), *FAST)
    renamed = blog.delete_post(blog.posts[0].slug)
    again = blog.add_post(title=renamed.title)
    with serve_blog(blog) as new_home:
        second = run("crawl", new_home.url, "--db", str(db), "--json", *FAST)
        old_root, new_root = old_home.url + "/", new_home.url + "/"
        merged = run("sites", "merge", old_root, new_root, "--db", str(db), "--json")
        third = run("crawl", new_home.url, "--db", str(db), "--json", *FAST)
    assert again.slug != renamed.slug and again.title == renamed.title
    assert second.returncode == 0, second.stderr
    assert (f"the same blog as {old_root}? 3 of its 3 posts are archived there at the same "
            "paths or titles") in json.loads(second.stdout)["message"]
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout) == {
        "site": old_root, "merged": new_root, "address": new_root, "joined": 2, "moved": 1,
        "readdressed": 1, "versions": 2, "unchanged": 2, "runs": 1}
    assert third.returncode == 0, third.stderr
    with Archive.open(db, readonly=True) as archive:
        gone = archive.post(new_root + renamed.url_path.lstrip("/"))
        kept = archive.post(new_root + again.url_path.lstrip("/"))
        assert len(archive.versions(gone["id"])) == 1
    assert gone["title"] == kept["title"] == renamed.title and gone["id"] != kept["id"]
    assert gone["deleted_at"] is not None and kept["deleted_at"] is None


def test_a_site_whose_posts_moved_on_again_is_merged_where_they_are_now(tmp_path: Path):
    """The blog left OLD for NEW, which the archive first crawled as a new site while NEW
    already redirected to a third host (crawled there: NEW's posts archived at THIRD, "name
    THIRD from now on"). Merged (as THIRD, or as NEW), the posts took their URLs at NEW, the
    address the blog left: the next crawl of THIRD stored all 3 again as new posts, and the
    merge said the posts were at NEW. They are at THIRD, where the next crawl finds them."""
    blog = SampleBlog(seed=23, post_count=3)
    db = tmp_path / "archive.db"
    with serve_blog(blog, host="127.0.0.2") as old_home:
        run("crawl", old_home.url, "--db", str(db), *FAST)
    with serve_blog(blog, host="127.0.0.3") as new_home, \
            serve_blog(blog, host="127.0.0.4") as third_home:
        new_home.moved_to = third_home.url
        first = run("crawl", new_home.url, "--db", str(db), "--json", *FAST)
        merged = run("sites", "merge", old_home.url, third_home.url, "--db", str(db), "--json")
        again = run("crawl", third_home.url, "--db", str(db), "--json", *FAST)
    third = third_home.url + "/"
    assert json.loads(first.stdout)["moved_to"] == third, first.stdout
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout) == {
        "site": old_home.url + "/", "merged": new_home.url + "/", "address": third,
        "joined": 3, "moved": 0, "readdressed": 0, "versions": 3, "unchanged": 3, "runs": 1}
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["counts"]["new"] == 0, again.stdout
    assert json.loads(again.stdout)["counts"]["unchanged"] == 3, again.stdout
    with Archive.open(db, readonly=True) as archive:
        assert sorted(url for (url,) in archive.conn.execute("SELECT url FROM posts")) == sorted(
            third + post.url_path.lstrip("/") for post in blog.posts)


def test_an_address_taken_for_the_site_that_moved_there_is_said_so() -> None:
    """`import` or `recover` of files of NEW, after a merge (or a crawl that followed the
    move), file its posts under the archived site; the notice gave the reason of a `www.`
    spelling ("www.new.example and new.example are the same site")."""
    from archive.site_match import one_scheme_notice

    assert one_scheme_notice("https://new.example/", "https://old.example/") == (
        "Notice: https://new.example/ is archived as https://old.example/ (the blog archived "
        "there moved to this address): using that")
    assert one_scheme_notice("https://www.example.com/", "https://example.com/") == (
        "Notice: https://www.example.com/ is archived as https://example.com/ "
        "(www.example.com and example.com are the same site): using that")
    assert one_scheme_notice("http://example.com/post/x", "https://example.com/post/x") == (
        "Notice: http://example.com/post/x is archived as https://example.com/post/x "
        "(http and https are the same site): using that")


def test_captures_of_either_address_imported_after_the_merge_are_the_posts_versions(
        tmp_path: Path):
    """Merged, the posts are at NEW. Web archives of the blog imported (or recovered) then were
    filed by the URL captured: at OLD, which no post had any more, every post was stored again
    as a new one; at NEW, respelled as the site's OLD address, the same. Now either capture is
    a version of the post archived at NEW, and no site is said to be added."""
    blog = SampleBlog(seed=27, post_count=3)
    db, elsewhere = tmp_path / "archive.db", tmp_path / "elsewhere.db"
    with serve_blog(blog, host="127.0.0.2") as old_home:
        run("crawl", old_home.url, "--db", str(db), *FAST)
        edited = blog.edit_post(blog.posts[0].slug, paragraphs=["Captured by someone else."])
        run("crawl", old_home.url, "--db", str(elsewhere), *FAST)
    with serve_blog(blog, host="127.0.0.3") as new_home:
        run("crawl", new_home.url, "--db", str(db), *FAST)
        blog.edit_post(edited.slug, paragraphs=["Edited once more at the new address."])
        run("crawl", new_home.url, "--db", str(elsewhere), *FAST)
    merged = run("sites", "merge", old_home.url, new_home.url, "--db", str(db))
    assert merged.returncode == 0, merged.stderr
    imported = run("import", *map(str, sorted((tmp_path / "elsewhere.captures").iterdir())),
                   "--db", str(db))
    assert imported.returncode == 0, imported.stderr
    assert "added a site" not in imported.stderr, imported.stderr
    post_url = new_home.url + edited.url_path
    with Archive.open(db, readonly=True) as archive:
        urls = sorted(url for (url,) in archive.conn.execute("SELECT url FROM posts"))
        bodies = [v["record"]["body_text"] for v in archive.versions(post_url)]
    assert urls == sorted(new_home.url + post.url_path for post in blog.posts)
    assert bodies[-1] == "Edited once more at the new address."
    assert "Captured by someone else." in bodies
