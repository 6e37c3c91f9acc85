"""A polite client of a Wayback-compatible archive: its CDX server and its raw (`id_`) replay.

The parameters and behaviours relied on are those the Internet Archive documents for its CDX
server (https://github.com/internetarchive/wayback/tree/master/wayback-cdx-server, "README.md"
there), which pywb implements too (https://pywb.readthedocs.io/en/latest/manual/cdxserver_api.html):

- `url` with `matchType=prefix` ("Url Match Scope"): every capture whose URL starts with it;
  the URL is matched in its canonical (SURT) form, so http/https and `www.` do not matter.
- `output=json` ("Output Format (JSON)"): the IA answers one JSON array whose first row names
  the fields (`original`, `statuscode`, `mimetype`...); pywb answers one JSON object per line
  (`url`, `status`, `mime`...). Both are read; `fl` is not used, since pywb only knows its own
  field names there.
- `filter=[!]field:expr` ("Filtering"): the IA matches `expr` as a regular expression, pywb as
  a substring; the filters used here (`statuscode:200`, `statuscode:404`, `mimetype:text/html`)
  mean the same in both, and the rows are checked again here.
- `collapse=digest` ("Collapsing"): adjacent captures with the same digest come once. pywb
  ignores it, so adjacent duplicates are also collapsed here; the post pages' listing does
  without it, as it keeps only the first of a run and a page's newest capture is wanted.
- `limit` ("Query Result Limits"), `showResumeKey=true` and `resumeKey` ("Resumption Key"): a
  JSON listing cut by `limit` (or the server's maximum, 150,000 rows) ends with an empty row
  and a row holding the key to resume from. pywb has no resumption keys: it answers up to its
  `limit` (100,000 rows by default), so a page that comes back full without a key is asked
  again without `limit`.
- Replay at `<base><14-digit timestamp>id_/<original URL>`: the `id_` flag ("identity" in
  the archival URL scheme of the IA's Wayback, https://github.com/internetarchive/wayback,
  and pywb's rewriting modifiers, https://pywb.readthedocs.io/en/latest/manual/rewriter.html)
  serves the archived payload unrewritten (no banner, no rewritten links), with the archived
  status and the archived headers as `X-Archive-Orig-*` (tests/test_recover.py checks pywb's).
  A memento carries `Memento-Datetime` (RFC 7089), which an archive's own error page does not,
  so a page without it is never taken for a capture.

HTTP is plain urllib, not Scrapy: requests go one at a time at a fixed pace (1 a second by
default) to one host, so Scrapy's concurrency and scheduler bring nothing, and each answer is
needed in order (the listing decides the fetches; each fetch is written to disk before the
next). This keeps `recover` free of Twisted's one-reactor-per-process constraint, and its
politeness (pace, Retry-After, bounded retries) is a few lines below.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from crawler.discover.urls import parses

IA_REPLAY = "https://web.archive.org/web/"
IA_CDX = "https://web.archive.org/cdx/search/cdx"
USER_AGENT = "wixarchive-recover (+https://github.com/wixarchive/wixarchive)"
PAGE_ROWS = 10_000
MAX_RETRY_WAIT = 300.0  # seconds: a longer Retry-After is cut to this
MAX_REDIRECTS = 5
# Field names of the IA's JSON header row -> pywb's names, which are used from here on.
FIELD_NAMES = {"original": "url", "statuscode": "status", "mimetype": "mime"}


class WaybackError(Exception):
    """The archive cannot be used now (down, too slow, answering something else): one line for
    the user. What was done before it is kept, so running again resumes."""


class NotACDXServer(WaybackError):
    """The CDX address answers, but not as a CDX server (an HTML page, a 404, a redirect): the
    address is wrong, and running again will not help. `problem` says what it answered; the
    message is `message`, else the problem alone (see `pointing`)."""

    def __init__(self, problem: str, message: str | None = None) -> None:
        super().__init__(message or problem)
        self.problem = problem

    def pointing(self, replay: str, cdx_given: str | None) -> NotACDXServer:
        """This error, its message pointing at the address to check in the caller's words:
        `cdx_given` names the CDX address the user gave (`--cdx` for the command, `cdx` for
        the API), None when it was derived from `replay`, whose collection is then in doubt."""
        problem = self.problem
        if cdx_given is None:
            message = (f"{problem}: is {replay} a web archive's collection URL? e.g. "
                       "http://host:8080/COLL/ for a pywb collection")
        elif problem.endswith(")"):
            message = f"{problem[:-1]}; check {cdx_given})"
        else:
            message = f"{problem} (check {cdx_given})"
        return NotACDXServer(problem, message)


def cdx_for(replay: str) -> str:
    """The CDX endpoint of a replay base: the IA's own, else pywb's `<base>cdx` beside it."""
    if replay.rstrip("/") == IA_REPLAY.rstrip("/"):
        return IA_CDX
    return replay.rstrip("/") + "/cdx"


def parse_timestamp(value: str) -> datetime:
    """A CDX timestamp (1 to 14 digits, the rest taken as zeros... as the IA does)."""
    value = (value + "00000101000000"[len(value):])[:14] if len(value) < 14 else value[:14]
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class Row:
    """One CDX line: a capture."""

    url: str  # the original URL
    timestamp: str
    status: int | None
    mime: str
    digest: str


@dataclasses.dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is an answer: fetch() decides whether to follow it


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class Client:
    """One request at a time, at least `delay` seconds apart; 429 and 5xx answers, time-outs
    and connections that fail (refused, a DNS name not found, broken off) are retried
    `retries` times, waiting what Retry-After says or else `backoff` seconds doubled each
    time. `on_retry(problem, wait, next_try, tries)` is told before each wait, so a user is
    not left minutes in silence."""

    def __init__(self, *, delay: float = 1.0, timeout: float = 60.0, retries: int = 4,
                 backoff: float = 5.0,
                 on_retry: Callable[[str, float, int, int], None] | None = None) -> None:
        self.delay, self.timeout, self.retries, self.backoff = delay, timeout, retries, backoff
        self.on_retry = on_retry
        self.opener = urllib.request.build_opener(_NoRedirects)
        self.requests = 0
        self.retried = 0
        self._last = 0.0

    def _pace(self, wait: float) -> None:
        wait = max(wait, self._last + self.delay - time.monotonic())
        if wait > 0:
            time.sleep(wait)

    def get(self, url: str, what: str) -> Answer:
        """The answer to GET `url` (any status but 429/5xx); WaybackError once retries are
        spent. `what` names the server in errors ("the CDX server")."""
        wait = 0.0
        for attempt in range(self.retries + 1):
            self._pace(wait)
            self._last = time.monotonic()
            self.requests += 1
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    answer = Answer(response.status, list(response.headers.items()),
                                    response.read(), url)
            except urllib.error.HTTPError as exc:
                try:
                    body = exc.read()
                except (OSError, http.client.HTTPException):
                    body = b""  # the status is what counts; a body cut short is no matter
                answer = Answer(exc.code, list(exc.headers.items()), body, url)
            except TimeoutError:
                problem = f"{what} at {_host(url)} did not answer within {self.timeout:g} s"
                answer = None
            except urllib.error.URLError as exc:
                reason = getattr(exc.reason, "strerror", None) or exc.reason
                if isinstance(exc.reason, TimeoutError):
                    problem = f"{what} at {_host(url)} did not answer within {self.timeout:g} s"
                else:
                    problem = f"cannot reach {what} at {_host(url)}: {reason}"
                answer = None
            except (OSError, http.client.HTTPException) as exc:
                reason = getattr(exc, "strerror", None) or exc
                problem = f"{what} at {_host(url)} broke off: {reason}"
                answer = None
            if answer is not None and answer.status != 429 and answer.status < 500:
                return answer
            if answer is not None:
                problem = f"{what} at {_host(url)} answered HTTP {answer.status}"
                wait = _retry_after(answer.header("Retry-After"))
                wait = min(MAX_RETRY_WAIT, wait if wait is not None else
                           self.backoff * 2 ** attempt)
            else:
                wait = self.backoff * 2 ** attempt
            if attempt < self.retries:
                self.retried += 1
                if self.on_retry is not None:
                    self.on_retry(problem, wait, attempt + 2, self.retries + 1)
        tries = self.retries + 1
        raise WaybackError(f"{problem} ({tries} {'try' if tries == 1 else 'tries'})")


def _host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def query(client: Client, cdx: str, params: list[tuple[str, str]]) -> list[Row]:
    """Every row of a CDX query, page by page (resumption keys), as `Row`s."""
    rows: list[Row] = []
    resume: str | None = None
    paged = True
    while True:
        page = [*params, ("output", "json")]
        if paged:
            page += [("limit", str(PAGE_ROWS)), ("showResumeKey", "true")]
        if resume:
            page.append(("resumeKey", resume))
        answer = client.get(f"{cdx}?{urllib.parse.urlencode(page)}", "the CDX server")
        got, resume = _parse(answer, cdx)
        if paged and not resume and len(got) >= PAGE_ROWS and not rows:
            paged = False  # a full page and no key: a server without resumption keys (pywb)
            continue
        rows += got
        if not resume:
            return rows


def _parse(answer: Answer, cdx: str) -> tuple[list[Row], str | None]:
    kind = (answer.header("Content-Type") or "").lower()
    text = answer.body.decode("utf-8", "replace").strip()
    if 300 <= answer.status < 400:  # pywb without a collection name redirects to its home
        raise NotACDXServer(f"the CDX server at {cdx} answered a redirect (HTTP "
                            f"{answer.status}) to {answer.header('Location') or 'nowhere'}")
    if "html" in kind or text[:1] == "<":
        raise NotACDXServer(f"the CDX server at {cdx} answered an HTML page, not a CDX listing "
                            f"(HTTP {answer.status})")
    if answer.status == 404 and not text.startswith(("[", "{")):
        raise NotACDXServer(f"the CDX server at {cdx} answered HTTP 404")
    if answer.status != 200:
        raise WaybackError(f"the CDX server at {cdx} answered HTTP {answer.status}: "
                           f"{text.splitlines()[0][:200] if text else ''}".rstrip(": "))
    try:
        if text.startswith("["):
            rows, resume = _parse_ia(json.loads(text))
        else:
            rows = [_row(json.loads(line)) for line in text.splitlines() if line.strip()]
            resume = None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise WaybackError(f"the CDX server at {cdx} answered something that is not a CDX "
                           f"listing: {text[:80]!r}") from None
    return [row for row in rows if parses(row.url)], resume  # archives hold garbage URLs too


def _parse_ia(data: list) -> tuple[list[Row], str | None]:
    """The IA's JSON: a header row, the rows, then (with showResumeKey) [] and [key]."""
    if not data:
        return [], None
    resume = None
    if len(data) >= 2 and data[-2] == [] and len(data[-1]) == 1:
        resume = data[-1][0]
        data = data[:-2]
    names = [FIELD_NAMES.get(n, n) for n in data[0]]
    return [_row(dict(zip(names, values, strict=False))) for values in data[1:] if values], \
        resume


def _row(fields: dict) -> Row:
    fields = {FIELD_NAMES.get(k, k): v for k, v in fields.items()}
    status = str(fields.get("status", ""))
    return Row(fields["url"], str(fields["timestamp"]),
               int(status) if status.isdigit() else None,
               str(fields.get("mime", "")), str(fields.get("digest", "")))


def collapse(rows: list[Row]) -> Iterator[Row]:
    """Rows in time order, each URL's adjacent captures with the same digest once (what the
    CDX server's `collapse=digest` does, for servers that ignore it), and each URL's newest
    capture even so: when the archive last saw the page, which decides whether another post's
    later 404 was a deletion or the blog gone."""
    ordered = sorted(rows, key=lambda r: (r.timestamp, r.url))
    newest = {row.url: row.timestamp for row in ordered}
    last: dict[str, str] = {}
    for row in ordered:
        if row.digest and last.get(row.url) == row.digest \
                and newest[row.url] != row.timestamp:
            continue
        last[row.url] = row.digest
        yield row


def replay_url(replay: str, timestamp: str, url: str) -> str:
    return f"{replay}{timestamp}id_/{url}"


def _original_of(replay: str, url: str) -> tuple[str, str] | None:
    """(timestamp, original URL) of a replay URL of this archive, else None."""
    if not url.startswith(replay):
        return None
    rest = url[len(replay):]
    stamp, _, original = rest.partition("/")
    digits = stamp.rstrip("_").removesuffix("id").rstrip("_")
    return (digits, original) if digits.isdigit() and original else None


def _same_resource(a: str, b: str) -> bool:
    def key(url: str) -> tuple[str, str]:
        parts = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
        host = (parts.hostname or "").removeprefix("www.")
        return host, (parts.path.rstrip("/") or "/") + ("?" + parts.query if parts.query else "")
    return key(a) == key(b)


@dataclasses.dataclass
class Memento:
    """A capture as the archive replayed it raw."""

    status: int
    headers: list[tuple[str, str]]  # the archived response's headers, as the site sent them
    body: bytes
    captured_at: datetime


def fetch(client: Client, replay: str, row: Row) -> Memento | str:
    """The capture `row` replayed raw (`id_`), or why not (an error page of the archive, a
    redirect to another resource, a capture that is not there)."""
    url = replay_url(replay, row.timestamp, row.url)
    for _ in range(MAX_REDIRECTS + 1):
        answer = client.get(url, "the Wayback server")
        moment = answer.header("Memento-Datetime")
        location = answer.header("Location")
        if 300 <= answer.status < 400 and location:
            target = urllib.parse.urljoin(url, location)
            found = _original_of(replay, target)
            if found is None or not _same_resource(found[1], row.url):
                return f"redirected to {target}"
            # Another capture time of the same URL (the IA redirects to the nearest one).
            url = replay_url(replay, found[0], found[1])
            continue
        if not moment:
            return f"not a capture (HTTP {answer.status} without Memento-Datetime)"
        try:
            captured = parsedate_to_datetime(moment).astimezone(UTC)
        except (TypeError, ValueError):
            captured = parse_timestamp(row.timestamp)
        return Memento(answer.status, _archived_headers(answer.headers), answer.body, captured)
    return "too many redirects"


# Headers of the replay itself, not of the archived response.
_TRANSFER = {"content-length", "transfer-encoding", "connection", "keep-alive"}


def _archived_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The archived response's headers: the `X-Archive-Orig-*` ones under their own names, and
    the replay's Content-Type and Content-Encoding, which describe the body as received."""
    kept = []
    for name, value in headers:
        if name.lower().startswith("x-archive-orig-"):
            original = name[len("x-archive-orig-"):]
            if original.lower() not in _TRANSFER | {"content-type", "content-encoding"}:
                kept.append((original, value))
    for name, value in headers:
        if name.lower() in ("content-type", "content-encoding"):
            kept.append((name, value))
    return kept
