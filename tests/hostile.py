"""Hostile posts for the security tests: what a malicious blog (or a tool writing rows) can put
in an archive. Every script payload calls pwn(<marker>); every redirect payload targets
SINK (a loopback server that counts requests), so a test can tell whether anything ran."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archive.store import Archive
from crawler.extract.api import extract_article
from crawler.extract.record import Article

FIXTURE = Path(__file__).parent / "fixtures" / "html" / "new_post.html"
SITE = "https://evil.wixsite.com/blog"
WORD = "zebrafish"  # in every hostile post, so one search lists them all

# Scheme obfuscations browsers (or Markdown renderers) still read as javascript:.
JS_URLS = [
    "javascript:pwn('js1')", "JaVaScRiPt:pwn('js2')", " \tjavascript:pwn('js3')",
    "java\tscript:pwn('js4')", "java\nscript:pwn('js5')", "&#106;avascript:pwn('js6')",
    "&#x6A;&#x61;vascript&#58;pwn('js7')", "javascript&colon;pwn('js8')",
    "\x01javascript:pwn('js9')", "vbscript:pwn('vb')",
    "data:text/html,<script>pwn('data')</script>",
]


def html_payloads(sink: str) -> list[str]:
    """HTML that would run pwn() or navigate to the sink if it reached a page unescaped."""
    links = "".join(f'<a href="{url}">link {n}</a> <img src="{url}" alt="i{n}"> '
                    for n, url in enumerate(JS_URLS))
    return [
        "<script>pwn('script')</script>",
        "<img src=x onerror=\"pwn('onerror')\" alt=\"x\">",
        "<img src=\"https://static.wixstatic.com/media/a.jpg\" alt=\"\\\" onload=pwn('alt')>\">",
        "<svg onload=\"pwn('svg')\"><script>pwn('svgscript')</script></svg>",
        "<svg><a xlink:href=\"javascript:pwn('xlink')\"><text y=\"20\">svg link</text></a></svg>",
        "<math><maction actiontype=\"statusline\" xlink:href=\"javascript:pwn('math')\">m"
        "</maction></math>",
        f"<meta http-equiv=\"refresh\" content=\"0;url={sink}/nav-meta\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:pwn('metajs')\">",
        f"<base href=\"{sink}/nav-base/\">",
        "<iframe srcdoc=\"<script>parent.pwn('srcdoc')</script>\"></iframe>",
        f"<iframe src=\"{sink}/nav-iframe\"></iframe>",
        "<object data=\"javascript:pwn('object')\"></object>"
        "<embed src=\"javascript:pwn('embed')\">",
        f"<form action=\"{sink}/nav-form\" method=\"post\"><button id=\"go\">go</button></form>",
        "<form><button formaction=\"javascript:pwn('formaction')\">b</button></form>",
        "<p style=\"background:url(javascript:pwn('css'))\">styled</p>",
        "<style>body{background:url(\"javascript:pwn('style')\")}</style>",
        "<div onmouseover=\"pwn('mouseover')\" onfocus=\"pwn('focus')\" tabindex=1 autofocus>"
        "hover</div>",
        "<details open ontoggle=\"pwn('toggle')\"><summary>s</summary></details>",
        "<noscript><p title=\"</noscript><img src=x onerror=pwn('noscript')>\"></p></noscript>",
        "<a href=\"https://ok.example/\" target=\"_blank\" onclick=\"pwn('click')\">ok link</a>",
        f"<p>{WORD} &lt;script&gt;pwn('escaped')&lt;/script&gt;</p>",
        links,
    ]


def hostile_page(sink: str) -> str:
    """The fixture Wix post with every payload in its body, title and image alt."""
    page = FIXTURE.read_text(encoding="utf-8")
    body = "".join(f"<p>{WORD} {payload}</p>" for payload in html_payloads(sink))
    marker = "Una carta náutica es un mapa del "
    assert marker in page
    return page.replace(marker, marker + "</p>" + body + "<p>", 1)


def make_hostile_archive(path: Path, sink: str) -> dict[str, int]:
    """An archive with hostile posts three ways; returns their ids by how they were written:
    - "extracted": a real Wix page carrying the payloads, through extract_article and the store;
    - "stored": an Article with raw hostile fields, through the store API unsanitized;
    - "raw": a row rewritten with plain SQL, as another tool might write it (title, body HTML
      and Markdown, URL, cover image, tags, site name)."""
    payload = "".join(html_payloads(sink))
    title = f"{WORD} </title><script>pwn('title')</script>\"><img src=x onerror=pwn('t2')>"
    markdown = "\n\n".join(f"[m{n}]({url}) ![i{n}]({url})" for n, url in enumerate(JS_URLS))
    markdown += f"\n\n{WORD} <script>pwn('md')</script> <img src=x onerror=pwn('mdimg')>"
    ids: dict[str, int] = {}
    with Archive.open(path) as archive:
        extracted = extract_article(hostile_page(sink), f"{SITE}/post/extracted")
        assert extracted.page_kind == "post", extracted.warnings
        extracted.title = title
        archive.save_article(extracted)
        archive.save_article(Article(
            url=f"{SITE}/post/stored", title=title, author="<script>pwn('author')</script>",
            published="2024-05-01T08:00:00Z", tags=["<img src=x onerror=pwn('tag')>"],
            categories=["<script>pwn('cat')</script>"], body_text=f"{WORD} text",
            body_html=payload, body_markdown=markdown, site_name="<script>pwn('site')</script>",
            cover_image="javascript:pwn('cover')", images=JS_URLS[:3],
            description="<script>pwn('desc')</script>"))
        archive.save_article(Article(url=f"{SITE}/post/raw", title="placeholder",
                                     body_text=f"{WORD} raw", body_html="<p>placeholder</p>"))
        for slug in ("extracted", "stored", "raw"):
            post = archive.post(f"{SITE}/post/{slug}")
            assert post is not None
            ids[slug] = post["id"]
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "UPDATE posts SET title = ?, body_html = ?, body_markdown = ?, cover_image = ?,"
            " canonical_url = ?, url = ? WHERE id = ?",
            (title, payload, markdown, "JaVaScRiPt:pwn('rawcover')", "javascript:pwn('canon')",
             "javascript:pwn('rawurl')//post/raw", ids["raw"]))
        conn.execute("UPDATE sites SET url = ?, name = ? WHERE url = ?",
                     ("javascript:pwn('siteurl')//", "<script>pwn('sitename')</script>",
                      SITE + "/"))
    conn.close()
    return ids
