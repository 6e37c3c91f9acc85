"""What workers and the writer agree on: Redis key names, the protocol version and the atomic
steps (Lua scripts run by Redis) that keep the shared queue exact.

Nothing here imports Scrapy: the writer (archive.distributed) uses it too.

Why leases: scrapy-redis pops a request from the shared queue and forgets it, so a worker killed
with requests in flight would lose them. Here a pop moves the request into a lease that the
worker renews while it works; the request's completion (its child requests already queued, its
results pushed for the writer, the lease dropped, its site's pending count lowered) is one atomic
script, and a lease whose worker stopped renewing it goes back to the queue. Each site's pending
count (requests queued or leased) reaching 0 is how the writer knows the site is done.

Why a crawl key: a Redis restarted without persistence, or flushed, comes back empty, and an
empty pending count reads as a finished site. The writer sets CRAWL to an id of its own at its
start and reads it with the pending counts (one transaction): when it is gone, Redis lost the
crawl's state, and nothing in it (pending counts, results, leases) can be trusted. At its end
the writer leaves CRAWL_ENDED or CRAWL_LOST there for a while, so a worker tells a crawl that
ended from one whose queue was wiped (crawler.distributed.heartbeat).
"""

from __future__ import annotations

import json
import pickle
import random
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from archive import __version__

if TYPE_CHECKING:
    import redis

# Bumped whenever the messages or keys change: a worker and a writer must speak the same one.
PROTOCOL = 19
PREFIX = "wixarchive"
SPIDER_NAME = PREFIX  # scrapy-redis names its keys after the spider: wixarchive:dupefilter, ...

# The queue: a lane per site (a zset of queue members: its pages, scores as score() gives
# them), its requests on other hosts (media) in a lane of their own, never held back. A lane
# with requests is in READY (score: its first request's score) or, held back (RESTING,
# PACED), in WAITING (score: when it is ready, Redis time); POP takes the first ready lane's
# first request. Until protocol 13 one zset held every site's requests, and a pop scanned up to
# 2,000 of them past the sites held back: a held site with more queued first left the workers
# nothing to pop.
QUEUE = f"{PREFIX}:queue"  # QUEUE:LANE, a lane's requests (see lane_key)
# That one zset, until protocol 13: a writer starting deletes it (every_key) where a crawl of
# then left it, with its requests.
OLD_QUEUE = f"{PREFIX}:requests"
READY = f"{PREFIX}:ready"  # zset lane -> its first request's score
WAITING = f"{PREFIX}:waiting"  # zset lane -> when its site's hold ends (Redis time)
OTHER_HOSTS = "#other-hosts"  # a lane's name: its site + this, for its requests elsewhere
DUPEFILTER = f"{PREFIX}:dupefilter"  # scrapy-redis duplicate filter
LEASES = f"{PREFIX}:leases"  # zset lease id -> expiry (Redis time)
LEASE_DATA = f"{PREFIX}:lease-data"  # hash lease id -> "score\n" + queue member
LEASE_SEQ = f"{PREFIX}:lease-seq"
REDOS = f"{PREFIX}:redos"  # hash sha1(member) -> times its workers died (leases expired)
PENDING = f"{PREFIX}:pending"  # hash site -> requests queued or leased
RESULTS = f"{PREFIX}:results"  # list of messages for the writer
# How long the id of a message a worker pushed outside a lease (PUSH_RESULT) is kept: its
# client sends the push again only within its own call (redis-py 8 up to 10 times, each in at
# most 15 s for the reply, 5 s to connect and 1 s of back-off: ~4 minutes).
SENT_SECONDS = 3600
# set of sites stopped (time limit, failing): their requests are dropped, those that workers hold
# are not sent (ACQUIRE)
STOPPED = f"{PREFIX}:stopped"
# What a worker names a request by that it never sent, the site stopped or past its time limit
# (crawler.distributed.politeness): at the time limit, no failure of the site (the writer).
SITE_STOPPED = ("not fetched: the site's crawl has stopped (its time limit, failing, or the "
                "crawl's end)")
TIME_LIMIT_OVER = "not fetched: the site's time limit is over"
SITES = f"{PREFIX}:sites"  # hash site -> JSON settings (run id, concurrency, delay, ...)
# hash site -> its run id: requests of any other run are refused (PUSH). Its own hash, though
# SITES holds the run too: PUSH runs for every request, and decoding SITES' JSON (its list of
# posts to recapture may be long) there would cost each push.
RUNS = f"{PREFIX}:runs"
# hash site -> "READY DELAY": a failing site's back-off (FAILED), in Redis time: its pages are not
# handed to a worker before READY, and then one every DELAY seconds (POP), until its first good
# answer deletes it (crawler.distributed.backoff)
RESTING = f"{PREFIX}:resting"
# hash site -> "READY DELAY", as RESTING, for a site asking to be asked slowly: its pages are not
# handed to a worker before READY, the time a Retry-After asked for (RESUME), and then one every
# DELAY seconds, its Crawl-delay or --delay when at least PACE_SECONDS (set as its robots.txt is
# read; 0: no pace, the entry is dropped at the next hand-out)
PACED = f"{PREFIX}:paced"
PACE_SECONDS = 1.0  # a shorter delay is waited in the worker (ACQUIRE): its places free soon
# hash site -> the roots, space-separated, its robots.txt or feed redirected to (example.com to
# www.example.com, or a new domain), where its pages are then queued: they go in the site's lane
# (held back by RESTING and PACED), not in its lane for other hosts (its media). Added to by
# each request queued that names them (ROOTS: PUSH, REPLACE), whichever queued it.
SITE_ROOTS = f"{PREFIX}:site-roots"
# hash site -> JSON [the root its posts are archived under, the host it moved to]: each site's
# move as its writer learned it, so that a writer taking over from a killed one gives the posts
# it stores from the dead one's results their new URLs, as that one would have (the writer
# alone reads and writes it).
MOVES = f"{PREFIX}:moves"
# JSON {"archive": its resolved path, "host": the writer's host}: the archive the crawl's writer
# stores into, set as it takes the crawl and kept while the results it did not store are
# (LEAVE_RESULTS), so a writer of another archive leaves them to it (the writers alone read it).
ARCHIVE = f"{PREFIX}:archive"
# JSON {"archive": as ARCHIVE, "runs": {run id: why it ended}}: the runs of a writer that gave up
# (the archive busy past its timeout) and could not close them itself, closed by the next writer
# of that archive with that reason, not "killed or crashed" (the writers alone read it).
GAVE_UP = f"{PREFIX}:gave-up"
WRITER = f"{PREFIX}:writer"  # JSON: the writer's version, protocol, host and pid (expires)
CRAWL = f"{PREFIX}:crawl"  # the running crawl's id, set by its writer (see above)
CRAWL_ENDED = b"ended"  # CRAWL once the writer ended the crawl (expires)
CRAWL_LOST = b"lost"  # CRAWL once the writer found Redis had lost the crawl's state (expires)
CRAWL_ENDED_SECONDS = 600  # longer than any worker's heartbeat can lag
QUEUE_LOST = "lost the crawl's queue (restarted or flushed)"  # the words both sides use
WORKER_SECONDS = 10  # a worker's registration expires unless its heartbeat renews it

# Request meta keys the writer queues requests with and the spiders read (here, as their homes
# import Scrapy and the writer must not).
HTML_ONLY = "wixarchive_html_only"  # crawler.downloader.page_types: markup only, else aborted
# Every root that is the request's site, when it moved to another host (see
# crawler.discover.urls.moved_root); absent, the site alone.
ROOTS = "wixarchive_roots"
LISTING_HOME = "wixarchive_listing_home"  # the blog home a listing page paginates
# A listing request for the page the user named, which may be a post under a prefix that is
# not /post/ (crawler.discover.listings.listing_starts).
NAMED_PAGE = "wixarchive_named_page"
# The root (`https://example.com/fr/`) of the language whose feed or sitemap a request reads
# (crawler.discover.languages): its feed names that language's blog home, and its sitemap, which
# no index named, may be missing without failing anything.
LANGUAGE_ROOT = "wixarchive_language_root"
# Every request's site and run (crawler.distributed.queue), its download attempts and responses
# so far (crawler.distributed.fetches) and its exchanges not yet sent to the writer
# (crawler.distributed.capture): retries and redirects carry them on, as they carry its meta.
SITE = "wixarchive_site"
RUN = "wixarchive_run"
ATTEMPTS = "wixarchive_requests"
RESPONSES = "wixarchive_responses"
EXCHANGES = "wixarchive_exchanges"


def worker_key(worker_id: str) -> str:
    """JSON version, host, pid of a running worker (expires: a killed one drops out)."""
    return f"{PREFIX}:worker:{worker_id}"


WORKERS_PATTERN = f"{PREFIX}:worker:*"
MAX_REDOS = 3  # a request whose workers died this many times is given up (its URL named)


def lane_key(lane: str) -> str:
    """zset of a lane's queued requests (see QUEUE): `lane` is a site, its pages, or the site
    + OTHER_HOSTS, its requests on other hosts."""
    return f"{QUEUE}:{lane}"


def known_key(site: str) -> str:
    """hash post URL -> JSON KnownPost fields: what the archive holds, for incremental crawls."""
    return f"{PREFIX}:known:{site}"


def tokens_key(site: str) -> str:
    """zset token -> expiry: requests in flight to the site, across every worker."""
    return f"{PREFIX}:tokens:{site}"


def last_key(site: str) -> str:
    """When the site got its last request (Redis time): its delay counts from there, across
    workers."""
    return f"{PREFIX}:last:{site}"


def crawl_delay_key(site: str) -> str:
    """The Crawl-delay of the site's robots.txt, in seconds, when longer than its delay (set
    by the worker that read it; crawler.downloader.crawl_delay caps it)."""
    return f"{PREFIX}:crawl-delay:{site}"


def resume_key(site: str) -> str:
    """When the site may be asked again (Redis time), after an answer asking to wait
    (Retry-After), whichever worker got it (crawler.distributed.retry_after)."""
    return f"{PREFIX}:resume:{site}"


def backoff_key(site: str, run: Any) -> str:
    """hash of the site's failures in a row in its run `run`, across every worker: `failures`
    (5xx, 429 or no answer: the back-off, RESTING), `errors` and `since` (5xx or no answer, and
    when the first came: what stops the site). Deleted by its first good answer
    (crawler.distributed.backoff)."""
    return f"{PREFIX}:backoff:{site}:{run}"


def counted_key(site: str, run: Any) -> str:
    """set of the ids of the site's failures and too long Retry-Afters counted in its run
    `run` (FAILED, TOO_LONG): each is counted once, though sent twice."""
    return backoff_key(site, run) + ":seen"


def sitemaps_key(site: str) -> str:
    """set of the sitemap URLs requested for the site (WIXARCHIVE_MAX_SITEMAPS counts them;
    a counter until protocol 18, which an INCR sent twice counted twice)."""
    return f"{PREFIX}:sitemaps:{site}"


def listings_key(site: str) -> str:
    """set of the listing page URLs requested for the site (WIXARCHIVE_MAX_LISTING_PAGES
    counts them; a counter until protocol 18). A key of its own: counted in the sitemaps'
    string key as a hash field, it failed with WRONGTYPE and the site's first listing page
    never ended (its crawl hung)."""
    return f"{PREFIX}:listings:{site}"


def sent_key(message_id: str) -> str:
    """The id of a message pushed outside a lease (PUSH_RESULT), kept SENT_SECONDS."""
    return f"{PREFIX}:sent:{message_id}"


def every_key(server: Any) -> list[Any]:
    """The crawl's keys in `server` (workers' registrations, the writer's and CRAWL aside)."""
    keys = [READY, WAITING, DUPEFILTER, LEASES, LEASE_DATA, LEASE_SEQ, REDOS, PENDING, RESULTS,
            SITES, RUNS, STOPPED, RESTING, PACED, SITE_ROOTS, MOVES, ARCHIVE, GAVE_UP,
            OLD_QUEUE]
    # Per site (queue: per lane; sent: per message, which expire anyway).
    for kind in ("queue", "known", "tokens", "last", "crawl-delay", "resume", "backoff",
                 "sitemaps", "listings", "sent"):
        keys += server.scan_iter(match=f"{PREFIX}:{kind}:*", count=1000)
    return keys


def queue_member(site: str, url: str, request: bytes) -> bytes:
    """A queue member: `site \\n url \\n request` (scrapy-redis's encoded request), so that the
    scripts run by Redis know a request's site (its pending count) and URL (named when it is
    given up) without unpickling it."""
    return b"\n".join([site.encode(), url.replace("\n", "%0A").encode(), request])


def roots_arg(meta: dict[str, Any]) -> str:
    """A request's roots (ROOTS) as PUSH and REPLACE take them: where its site's pages are
    (SITE_ROOTS)."""
    return " ".join(meta.get(ROOTS) or ())


def member_request(member: bytes) -> bytes:
    """The encoded request of a queue member (see queue_member)."""
    return member.split(b"\n", 2)[2]


def score(priority: int) -> float:
    """A queue score: higher priorities first, as in scrapy-redis; within one priority, a
    random fraction interleaves the sites (equal scores would sort by member, i.e. by site,
    and hand out one site's requests, held back by its politeness, before any other's)."""
    return -priority + random.random() * 0.5


class WorkerError(Exception):
    """Why a worker cannot run, phrased for the user (one line)."""


def shown(url: str) -> str:
    """`url` as messages print it: its password (redis://:PASSWORD@host) starred, as messages
    reach terminals, logs and the archive's recorded run errors.

    >>> shown("redis://:s3cret@crawl-host:6379/0")
    'redis://:***@crawl-host:6379/0'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def url_problem(url: str) -> str | None:
    """Why `url` is no Redis URL (one line), or None; nothing is connected to. The commands
    check --redis with it at their start, before anything else is done."""
    import redis  # here: the key names and scripts above are read without a Redis client

    try:
        redis.Redis.from_url(url)  # parses the URL; a connection is made at the first command
    except ValueError:  # no scheme, a port that is no number...: redis-py's text names neither
        return f"not a Redis URL: give redis://HOST:PORT (got {shown(url)!r})"
    parts = urlsplit(url)
    database = unquote(parts.path).replace("/", "")  # as redis-py reads it
    if (parts.scheme.lower() in ("redis", "rediss") and database
            and not (database.isascii() and database.isdigit())):
        # redis-py ignores it: /abc would silently mean database 0, maybe another crawl's.
        return (f"not a Redis database: {database!r} (in {shown(url)!r}): give its number "
                "after the port, redis://HOST:PORT/0")
    return None


def connect(url: str, error: type[Exception]) -> redis.Redis:
    """A client of the Redis at `url`, checked with a PING; raises `error` (one line) when it
    cannot be reached. For the writer and the workers alike."""
    import redis

    problem = url_problem(url)
    if problem:
        raise error(problem)
    server = redis.Redis.from_url(url, socket_timeout=15, socket_connect_timeout=5)
    try:
        server.ping()
    except redis.AuthenticationError as exc:
        if not urlsplit(url).password:  # redis-py's own text speaks of HELLO or NOAUTH
            raise error(f"the Redis at {shown(url)} needs a password: give it in the URL, "
                        "redis://:PASSWORD@HOST:PORT/0") from None
        raise error(f"the Redis at {shown(url)} refused the password in the URL: {exc}") from None
    except redis.RedisError as exc:
        raise error(f"cannot reach Redis at {shown(url)}: {exc}") from None
    return server


def identity() -> dict[str, Any]:
    return {"version": __version__, "protocol": PROTOCOL}


def mismatch(theirs: dict[str, Any]) -> str | None:
    """Why a peer with identity `theirs` cannot work with us, or None."""
    if theirs.get("version") != __version__ or theirs.get("protocol") != PROTOCOL:
        return (f"the writer runs wixarchive {theirs.get('version')} (protocol "
                f"{theirs.get('protocol')}) and this worker {__version__} (protocol {PROTOCOL}): "
                "refused; run the same wixarchive version on every machine")
    return None


# -- messages to the writer: b"J" + JSON (Lua scripts write these too) or b"P" + pickle --------

def encode_message(message: dict[str, Any]) -> bytes:
    # Pickle, as scrapy-redis itself stores requests: Redis is the crawl's trusted store.
    return b"P" + pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def decode_message(data: bytes) -> dict[str, Any]:
    if data[:1] == b"J":
        return json.loads(data[1:])
    if data[:1] == b"D":
        return dropped_message(data[1:])
    return pickle.loads(data[1:])


def dropped_message(member: bytes) -> dict[str, Any]:
    """The message for a queue member dropped unsent as its site stopped (b"D" + the member,
    pushed by DROP_QUEUED): what its earlier tries downloaded and captured (a retry, a redirect
    carries them in its meta), which its site's run counts, as a crawl without Redis counts
    every download. The request itself fails nothing, as one left in the scheduler of a crawl
    stopped early fails nothing there."""
    site, _url, request = member.split(b"\n", 2)
    meta = pickle.loads(request).get("meta") or {}
    return {"site": site.decode(), "run": meta.get(RUN), "requests": meta.get(ATTEMPTS, 0),
            "responses": meta.get(RESPONSES, 0), "captures": meta.get(EXCHANGES, [])}


# -- scripts (Redis time, so the hosts' clocks need not agree) -----------------------------------

_NOW = "local _t = redis.call('TIME'); local now = tonumber(_t[1]) + tonumber(_t[2]) / 1e6\n"

# The lanes (see QUEUE), for the scripts that queue, hand out or hold back requests: each
# change files the lane it touched (file_lane), so that READY's first lane is always one ready
# to hand out, found in O(log n) however many requests or held sites there are.
_LANES = f"""
local QUEUE, READY, WAITING = '{QUEUE}:', '{READY}', '{WAITING}'
local RESTING, PACED, OTHER_HOSTS = '{RESTING}', '{PACED}', '{OTHER_HOSTS}'
local SITE_ROOTS = '{SITE_ROOTS}'
""" + """
local function lane_of(member)  -- `site \\n url \\n request`: its site's pages, or elsewhere
  local site_end = string.find(member, '\\n', 1, true)
  local site = string.sub(member, 1, site_end - 1)
  local url = site_end + 1
  if string.sub(member, url, site_end + #site) == site then return site end
  for root in string.gmatch(redis.call('HGET', SITE_ROOTS, site) or '', '%S+') do
    if string.sub(member, url, site_end + #root) == root then return site end
  end
  return site .. OTHER_HOSTS
end
local function elsewhere(lane)  -- its site's media, on other hosts: never held back
  return string.sub(lane, -#OTHER_HOSTS) == OTHER_HOSTS
end
local function hold(hash, site)  -- RESTING, PACED: when it ends, and the delay after each page
  local value = redis.call('HGET', hash, site)
  if not value then return nil, nil end
  local gap = string.find(value, ' ', 1, true)
  return tonumber(string.sub(value, 1, gap - 1)), string.sub(value, gap + 1)
end
local function ready_at(lane)
  if elsewhere(lane) then return 0 end
  local resting, paced = hold(RESTING, lane), hold(PACED, lane)
  return math.max(resting or 0, paced or 0)
end
-- Out of both sets once empty; in WAITING while its site is held; else in READY.
local function file_lane(lane)
  local first = redis.call('ZRANGE', QUEUE .. lane, 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', READY, lane)
    redis.call('ZREM', WAITING, lane)
    return
  end
  local at = ready_at(lane)
  if now < at then
    redis.call('ZREM', READY, lane)
    redis.call('ZADD', WAITING, at, lane)
  else
    redis.call('ZREM', WAITING, lane)
    redis.call('ZADD', READY, first[2], lane)
  end
end
-- `roots` (space-separated) are the site's too: its requests there, until then filed in its
-- lane for other hosts (a redirect's, queued before any request named the root), move to its
-- own lane.
local function add_roots(site, roots)
  local known, added = redis.call('HGET', SITE_ROOTS, site) or '', false
  for root in string.gmatch(roots, '%S+') do
    if root ~= site and not string.find(' ' .. known .. ' ', ' ' .. root .. ' ', 1, true) then
      known, added = (known == '' and root) or (known .. ' ' .. root), true
    end
  end
  if not added then return end
  redis.call('HSET', SITE_ROOTS, site, known)
  local others = site .. OTHER_HOSTS
  local members = redis.call('ZRANGE', QUEUE .. others, 0, -1, 'WITHSCORES')
  for i = 1, #members, 2 do
    if lane_of(members[i]) == site then
      redis.call('ZREM', QUEUE .. others, members[i])
      redis.call('ZADD', QUEUE .. site, members[i + 1], members[i])
    end
  end
  file_lane(others)
  file_lane(site)
end
local function queue(score, member, only_new)  -- 1 when added (0: it was queued already)
  local lane = lane_of(member)
  local added
  if only_new then
    added = redis.call('ZADD', QUEUE .. lane, 'NX', score, member)
  else
    added = redis.call('ZADD', QUEUE .. lane, score, member)
  end
  file_lane(lane)
  return added
end
"""

# A request is queued only for its site's current run. A worker's child requests reached a Redis
# restarted empty (or flushed) in the seconds before its heartbeat saw the crawl lost: it then
# fetched them in the emptied Redis, and their results, stored by the next writer, went to the
# interrupted run (its resume counted those posts as neither new nor changed).
# KEYS: pending, stopped, runs; ARGV: score, member, site, run id, the site's roots (ROOTS,
# space-separated; may be ''). Returns 1 if queued (0: already queued, its site stopped, or the
# request is of no current run).
PUSH = _NOW + _LANES + """
if redis.call('HGET', KEYS[3], ARGV[3]) ~= ARGV[4] then return 0 end
if redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 1 then return 0 end
add_roots(ARGV[3], ARGV[5])
if queue(ARGV[1], ARGV[2], true) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
  return 1
end
return 0
"""

# KEYS: leases, lease-data, lease-seq; ARGV: lease seconds. Returns {id, member, unrested}, or
# nothing when no request is ready; unrested is 1 when the request is of its site's own lane and
# the site was not resting (RESTING) as it was handed out: if the site comes to rest before the
# worker sends it, it goes back to the queue (ACQUIRE), where it waits its turn of the back-off.
# A lease id carries the Redis time it was made: a writer taking over from a dead one clears
# every key, the sequence included, while live workers still hold leases of the old crawl. Bare
# sequence numbers then came round again, and a worker completing an old lease ended a new
# request's lease instead (its result dropped, its site's pending count never reaching 0).
# The first request of the first ready lane is taken: the lanes of sites backed off (RESTING,
# set by FAILED) or waiting (PACED: a Retry-After, a long Crawl-delay) are in WAITING until
# then; once one of its pages is taken, the site's next waits its delay again. A site's delay
# is waited out here, in the queue: in the worker (SiteTokens) its requests held the
# downloader's places, and every other site that worker served went at the slow site's pace.
# Its media (on other hosts, a lane of their own) are not held back, as a crawl without Redis
# does not delay them.
POP = _NOW + _LANES + """
local function after(hash, site, delay)
  redis.call('HSET', hash, site, tostring(now + tonumber(delay)) .. ' ' .. delay)
end
for _, lane in ipairs(redis.call('ZRANGEBYSCORE', WAITING, '-inf', now, 'LIMIT', 0, 100)) do
  file_lane(lane)  -- its wait is over
end
local lane, first = nil, nil
while true do
  lane = redis.call('ZRANGE', READY, 0, 0)[1]
  if not lane then return false end
  first = redis.call('ZRANGE', QUEUE .. lane, 0, 0, 'WITHSCORES')
  if #first > 0 and now >= ready_at(lane) then break end
  file_lane(lane)  -- held by a hold set without filing it (or emptied): out of READY
end
local chosen, score = first[1], first[2]
redis.call('ZREM', QUEUE .. lane, chosen)
local unrested = 0
if not elsewhere(lane) then
  local rest_ready, rest_delay = hold(RESTING, lane)
  if rest_ready then after(RESTING, lane, rest_delay) else unrested = 1 end
  local pace_ready, pace_delay = hold(PACED, lane)
  if pace_ready and tonumber(pace_delay) > 0 then
    after(PACED, lane, pace_delay)
  elseif pace_ready then
    redis.call('HDEL', PACED, lane)
  end
end
file_lane(lane)
local id = redis.call('INCR', KEYS[3]) .. '@' .. _t[1] .. '.' .. _t[2]
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), id)
redis.call('HSET', KEYS[2], id, score .. '\\n' .. chosen)
return {tostring(id), chosen, unrested}
"""

# KEYS: leases, lease-data, pending, results; ARGV: lease id, site, message.
# Returns 1, or 0 when the lease was lost (expired and re-queued: the request is done again).
COMPLETE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[4], ARGV[3]) end
  redis.call('HINCRBY', KEYS[3], ARGV[2], -1)
  return 1
end
return 0
"""

# A retry or redirect takes its request's place (pending unchanged).
# KEYS: leases, lease-data; ARGV: lease id, score, member, site, its roots (as PUSH).
REPLACE = _NOW + _LANES + """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  add_roots(ARGV[4], ARGV[5])
  queue(ARGV[2], ARGV[3], false)
  return 1
end
return 0
"""

# Lua: drop the site's queued requests (its two lanes: done once a site is stopped). Each goes
# to the writer as b"D" + its member (dropped_message: what its earlier tries downloaded, which
# its run counts) and leaves its site's pending count, so the writer knows when the requests the
# workers held at the stop are done too (until 2026-12-06 a stopped site's run ended at once,
# and counted none of them: `pages: 11` where the site answered 17).
_DROP_QUEUED = """
local function drop_queued(pending, results, site)
  local dropped = 0
  for _, lane in ipairs({site, site .. OTHER_HOSTS}) do
    for _, member in ipairs(redis.call('ZRANGE', QUEUE .. lane, 0, -1)) do
      redis.call('RPUSH', results, 'D' .. member)
      dropped = dropped + 1
    end
    redis.call('DEL', QUEUE .. lane)
    file_lane(lane)
  end
  if dropped > 0 then redis.call('HINCRBY', pending, site, -dropped) end
  return dropped
end
"""
# A site stopped (its time limit, failing): its queued requests are dropped, and no more are
# queued. KEYS: stopped, pending, results; ARGV: site. Returns how many were dropped.
STOP_SITE = _NOW + _LANES + _DROP_QUEUED + """
redis.call('SADD', KEYS[1], ARGV[1])
return drop_queued(KEYS[2], KEYS[3], ARGV[1])
"""

# The writer stopping the crawl: every queued request dropped (nothing more is fetched).
EMPTY_QUEUE = _NOW + _LANES + """
for _, lanes in ipairs({READY, WAITING}) do
  for _, lane in ipairs(redis.call('ZRANGE', lanes, 0, -1)) do redis.call('DEL', QUEUE .. lane) end
  redis.call('DEL', lanes)
end
return 0
"""

# The writer's end: the results it did not store stay for the next writer (stored first as it
# starts, idempotently), with the moves they need (MOVES) and the archive they belong to
# (ARCHIVE); once none is left, those go too. One script, so a result pushed as the writer ends
# keeps its move and its archive. KEYS: results, moves, archive. Returns how many are left.
LEAVE_RESULTS = """
local left = redis.call('LLEN', KEYS[1])
if left == 0 then redis.call('DEL', KEYS[2], KEYS[3]) end
return left
"""

# How many requests are queued, every lane's.
QUEUED = _NOW + _LANES + """
local queued = 0
for _, lanes in ipairs({READY, WAITING}) do
  for _, lane in ipairs(redis.call('ZRANGE', lanes, 0, -1)) do
    queued = queued + redis.call('ZCARD', QUEUE .. lane)
  end
end
return queued
"""

# KEYS: leases; ARGV: seconds, lease ids... (only leases still held are extended)
RENEW = _NOW + """
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
return #ARGV - 1
"""

# Leases whose worker stopped renewing them go back to the queue; a request whose workers died
# MAX_REDOS times (handed out that many times) is given up, its URL named in its site's errors.
# KEYS: leases, lease-data, redos, pending, results; ARGV: max redos.
REAP = _NOW + _LANES + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 200)
for _, id in ipairs(ids) do
  local info = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  if info then
    local nl = string.find(info, '\\n', 1, true)
    local score = string.sub(info, 1, nl - 1)
    local member = string.sub(info, nl + 1)
    local site_end = string.find(member, '\\n', 1, true)
    local site = string.sub(member, 1, site_end - 1)
    local url = string.sub(member, site_end + 1, string.find(member, '\\n', site_end + 1, true) - 1)
    if redis.call('HINCRBY', KEYS[3], redis.sha1hex(member), 1) >= tonumber(ARGV[1]) then
      redis.call('HINCRBY', KEYS[4], site, -1)
      redis.call('RPUSH', KEYS[5], 'J' .. cjson.encode({site = site, errors = {
        url .. ': given up: the workers handling it died ' .. ARGV[1] .. ' times'}}))
    else
      queue(score, member, false)
    end
  end
end
return #ids
"""

# One request may go to the site now if fewer than `limit` are in flight (across every worker)
# and its delay has passed since its last request: the longer of its own delay and its
# robots.txt Crawl-delay, which counts at once however late it is read (a failing site's
# back-off, a Retry-After and a delay of PACE_SECONDS or more are waited out in the queue first:
# POP); a request whose answer tells how the site is doing (`counted`: no media fetch) also waits
# until the time a Retry-After asked for (RESUME), as one a worker took before it came. Tokens
# expire unless renewed, so a killed worker's slots free. A stopped site's requests are not
# sent: those a worker held when its time limit came or it was found failing, or once its run
# is over (the writer ended the crawl, clearing every key: they went out at once, with no
# delay).
# A request the queue handed out while its site was not resting (POP's unrested) is not sent
# once the site is (a 429 or a failure since, whichever worker got it): it goes back to the
# queue, which hands the site's pages out one per back-off. Until protocol 16 it went out at
# the site's plain delay: every page the workers had taken before a site's first 429 (up to
# CONCURRENT_REQUESTS a worker) reached the site just after it said "too many requests".
# KEYS: tokens, last, crawl-delay, stopped, runs, resume, resting; ARGV: token, limit, seconds,
# delay, site, run id ('' for a request of no run: the robots.txt Scrapy fetches for a worker,
# or of a media host), counted (1 or 0), unrested (1 or 0). Returns "0" (taken), "-1" (the site
# is stopped or its run over), "-2" (the site is resting: back to the queue) or seconds to
# wait.
ACQUIRE = _NOW + """
if redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 1
    or (ARGV[6] ~= '' and redis.call('HGET', KEYS[5], ARGV[5]) ~= ARGV[6]) then
  return '-1'
end
if ARGV[8] == '1' and redis.call('HEXISTS', KEYS[7], ARGV[5]) == 1 then return '-2' end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return '0.02' end
local delay = math.max(tonumber(ARGV[4]), tonumber(redis.call('GET', KEYS[3]) or '0'))
local after = tonumber(redis.call('GET', KEYS[2]) or '-1e18') + delay
if ARGV[7] == '1' then
  after = math.max(after, tonumber(redis.call('GET', KEYS[6]) or '-1e18'))
end
if now < after then return tostring(after - now) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('SET', KEYS[2], tostring(now), 'EX', 3600)
return '0'
"""

# The result of a request nobody leased (crawler.distributed.fetches), pushed once: its worker's
# client sends the script again when the reply is lost, though it may have run; the message's
# id (new for each) is then a key that is still there (SENT_SECONDS), and the copy is not
# pushed. Until protocol 19 the message carried the id and the writer kept every id it had
# stored, for the whole crawl. KEYS: results, sent (sent_key); ARGV: message, seconds.
# Returns 1 when pushed.
PUSH_RESULT = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
"""

# A failure of a request to the site (5xx, 429 or no answer), whichever worker sent it: each in a
# row doubles the site's delay from at least `start` (from its own delay or Crawl-delay when
# longer), up to `maximum` (0: no back-off), as crawler.downloader.backoff does in one process:
# its pages are not handed out (POP) for that long (RESTING).
# A 5xx or no answer (`server_error` 1) also counts towards the stop: after `limit` of them in a
# row, or once they have gone on for `seconds` since the first (a 429, an answer, starts that
# count again), the site is stopped: its queued requests dropped, none sent any more (ACQUIRE),
# and the writer told why (`reason_count` or `reason_time`), once. Its first good answer deletes
# the hash (crawler.distributed.backoff).
# A failure is counted once: its worker's client sends the script again when the reply is lost,
# though it may have run; the failure's id (`sent`, new for each) is then in the set `seen`.
# KEYS: backoff, crawl-delay, stopped, results, pending, seen; ARGV: site, run,
# server_error, delay, start, maximum, limit, seconds, reason_count, reason_time, sent. Returns
# 1 when this stopped the site.
FAILED = _NOW + _LANES + _DROP_QUEUED + """
if redis.call('SADD', KEYS[6], ARGV[11]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[6], 86400)
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('EXPIRE', KEYS[1], 86400)
local maximum = tonumber(ARGV[6])
if maximum > 0 then
  local base = math.max(tonumber(ARGV[4]), tonumber(redis.call('GET', KEYS[2]) or '0'))
  local doubled = math.max(base, tonumber(ARGV[5])) * 2 ^ math.min(failures, 60)
  local delay = math.max(base, math.min(maximum, doubled))
  redis.call('HSET', RESTING, ARGV[1], tostring(now + delay) .. ' ' .. tostring(delay))
  file_lane(ARGV[1])
end
if ARGV[3] ~= '1' then
  redis.call('HDEL', KEYS[1], 'errors', 'since')
  return 0
end
local errors = redis.call('HINCRBY', KEYS[1], 'errors', 1)
local since = tonumber(redis.call('HGET', KEYS[1], 'since') or '')
if since == nil then
  since = now
  redis.call('HSET', KEYS[1], 'since', tostring(now))
end
local reason = nil
if tonumber(ARGV[7]) > 0 and errors >= tonumber(ARGV[7]) then
  reason = ARGV[9]
elseif tonumber(ARGV[8]) > 0 and now - since >= tonumber(ARGV[8]) then
  reason = ARGV[10]
end
if reason == nil or redis.call('SADD', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', RESTING, ARGV[1])
redis.call('RPUSH', KEYS[4], 'J' .. cjson.encode({site = ARGV[1], run = tonumber(ARGV[2]),
                                                  stopped_early = reason}))
drop_queued(KEYS[5], KEYS[4], ARGV[1])
return 1
"""

# A Retry-After longer than is waited for (crawler.distributed.retry_after): the ARGV[3]-th of
# the site's run stops it, as FAILED does, and tells the writer why (ARGV[4], "throttled: ...").
# Counted once, as FAILED counts a failure. KEYS: its count (backoff_key + ":too-long"), stopped,
# results, pending, seen (backoff_key + ":seen"); ARGV: site, run, the count that stops it, the
# reason, the Retry-After's id.
TOO_LONG = _NOW + _LANES + _DROP_QUEUED + """
if redis.call('SADD', KEYS[5], ARGV[5]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[5], 86400)
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 86400)
if count < tonumber(ARGV[3]) or redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', RESTING, ARGV[1])
redis.call('RPUSH', KEYS[3], 'J' .. cjson.encode({site = ARGV[1], run = tonumber(ARGV[2]),
                                                  stopped_early = ARGV[4]}))
drop_queued(KEYS[4], KEYS[3], ARGV[1])
return 1
"""

# The site's first good answer: its failures in a row and its back-off end, and its pages are
# handed out again at once. KEYS: backoff; ARGV: site.
ANSWERED = _NOW + _LANES + """
redis.call('DEL', KEYS[1])
if redis.call('HDEL', RESTING, ARGV[1]) == 1 then file_lane(ARGV[1]) end
return 0
"""

# A site's delay of PACE_SECONDS or more, read with its robots.txt: its pages are handed out
# one per delay from now on (POP), none before a time already set (a Retry-After: RESUME; until
# protocol 16 the pace replaced it, and the site was asked again before the time it asked for).
# ARGV: site, delay.
PACE = _NOW + _LANES + """
local ready = hold(PACED, ARGV[1])
redis.call('HSET', PACED, ARGV[1], tostring(ready or 0) .. ' ' .. ARGV[2])
file_lane(ARGV[1])
return 0
"""

# KEYS: tokens; ARGV: seconds, tokens...
RENEW_TOKENS = RENEW

# An answer asking to wait `seconds` (Retry-After): no request of the site whose answer tells
# how it is doing goes out, from any worker, before then (ACQUIRE), and none of its pages is
# handed to a worker before then (PACED, POP); a later time already set stays.
# KEYS: resume; ARGV: seconds, site.
RESUME = _NOW + _LANES + """
local resume = now + tonumber(ARGV[1])
if resume > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], tostring(resume), 'EX', math.ceil(tonumber(ARGV[1])) + 60)
  local paced_until, delay = hold(PACED, ARGV[2])
  if paced_until then resume = math.max(resume, paced_until) end
  redis.call('HSET', PACED, ARGV[2], tostring(resume) .. ' ' .. (delay or '0'))
  file_lane(ARGV[2])
end
return 0
"""
