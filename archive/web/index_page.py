"""The front page of `wixarchive serve`: what each archive holds (posts, sites, versions, the
last crawl) and where to read it, instead of Datasette's row and table counts ("62 rows in 4
tables, 726 rows in 34 hidden tables"), which describe the schema's internals.

A database that is no archive keeps Datasette's own lines, and a --template-dir holding its
own index.html still wins.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, TemplateNotFound

from archive.store import Archive, ArchiveError
from archive.web import archive_names
from archive.words import plural

TEMPLATE = Path(__file__).parent / "templates" / "wixarchive_index.html"
NAMED = 3  # up to this many sites, the front page names them


class IndexTemplate(BaseLoader):
    """Answers Datasette's `index.html` with ours, unless the user's template folder has one."""

    def __init__(self, template_dir: str | None) -> None:
        self.user_index = Path(template_dir) / "index.html" if template_dir else None

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        if template != "index.html" or (self.user_index and self.user_index.is_file()):
            raise TemplateNotFound(template)
        return TEMPLATE.read_text(encoding="utf-8"), str(TEMPLATE), lambda: True

    def list_templates(self) -> list[str]:
        return []  # `datasette` lists every loader's templates at startup


@dataclasses.dataclass(frozen=True)
class Holdings:
    """What an archive holds, as its front-page lines say it."""

    posts: int
    sites: int  # the sites holding a post (a version)
    names: tuple[str, ...]  # each site's name, else its URL, when there are few to name
    versions: int
    deleted: int
    last_crawled: str | None  # ISO 8601, UTC
    empty_sites: int = 0  # crawled, no post archived (a failed first crawl, a site not Wix)

    def summary(self) -> str:
        if not self.sites and not self.empty_sites:
            return "Empty: no site crawled yet."
        if not self.sites:
            return (f"No post archived yet: {self.empty_sites:,} "
                    f"{plural(self.empty_sites, 'site')} crawled with no post.")
        named = f" ({', '.join(self.names)})" if self.names else ""
        # Thousands grouped, as the deleted count is: "200000 posts" read as a typo.
        held = (f"{self.posts:,} {plural(self.posts, 'post')} from "
                f"{self.sites:,} {plural(self.sites, 'site')}{named}, "
                f"{self.versions:,} {plural(self.versions, 'version')} kept")
        if self.deleted:
            whose = "its site" if self.sites == 1 else "their sites"
            held += f" ({self.deleted:,} deleted from {whose})"
        if self.empty_sites:
            held += (f"; {self.empty_sites:,} more {plural(self.empty_sites, 'site')} crawled "
                     "with no post")
        if self.last_crawled:
            held += f"; last crawled {self.last_crawled[:16].replace('T', ' ')} UTC"
        return held + "."


def read_holdings(path: str) -> Holdings | None:
    """The archive at `path`'s holdings, None when it cannot be read (gone since startup)."""
    try:
        with Archive.open(path, readonly=True, create=False) as archive:
            rows = archive.stats()
    except (ArchiveError, OSError):
        return None
    crawled = [row["last_crawled"] for row in rows if row["last_crawled"]]
    # "18 posts from 6 sites" counted three whose crawls archived nothing.
    holding = [row for row in rows if row["versions"]]
    names = tuple(row["name"] or row["site"] for row in holding) if len(holding) <= NAMED else ()
    return Holdings(posts=sum(row["posts"] for row in rows), sites=len(holding), names=names,
                    versions=sum(row["versions"] for row in rows),
                    deleted=sum(row["deleted"] for row in rows),
                    last_crawled=max(crawled) if crawled else None,
                    empty_sites=len(rows) - len(holding))


async def index_vars(datasette: Any) -> dict[str, Any]:
    """`wxa_holdings`: {archive's database name: Holdings}, read now (a crawl beside the
    server shows at the next load), off the event loop."""
    names = archive_names(datasette)
    found = await asyncio.gather(*(asyncio.to_thread(read_holdings, datasette.databases[name].path)
                                   for name in names))
    return {"wxa_holdings": {name: held for name, held in zip(names, found, strict=True)
                             if held is not None}}
