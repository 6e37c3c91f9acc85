"""The Thunderbolt page frame every sample page shares: head, header, menu, footer, banners.

Real pages carry megabytes of inline scripts and CSS; here a small essential-viewer-model JSON
island, `window.thunderboltVersion` and one UI-strings island stand in for them. The strings
island holds "Recent Posts", "Comments", "Updated: {date}" on purpose: text filters must never
run over <script>.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from html import escape

from crawler.sample_site.model import SampleBlog

TB_VERSION = {"classic": "1.14370.0", "new": "1.17379.0"}
MENU = (("Home", ""), ("Blog", "/blog"), ("About", "/about"))
_CSS = (
    "body{margin:0;font-family:helvetica-w01-roman,sans-serif}"
    "#SITE_HEADER,#SITE_FOOTER{padding:16px 40px}"
    ".blog-post-title-font{font-size:28px}"
    "[data-hook=skeleton-loader]{background:#eee;height:12px;width:60px}"
)
_UI_STRINGS = {
    "post-page.updated": "Updated: {date}",
    "recent-posts.title": "Recent Posts",
    "recent-posts.see-all": "See All",
    "comments.title": "Comments",
    "comments.placeholder": "Write a comment...",
    "post-stats.views": "{count} views",
    "like.not-liked": "Post not marked as liked",
}
_ICON = '<svg viewBox="0 0 19 19" width="19" height="19"><path d="M2 2h15v15H2z"/></svg>'


def stable_uuid(*parts: str) -> str:
    """A UUID-shaped id derived from `parts`, so pages stay byte-identical between runs."""
    digest = hashlib.md5(":".join(parts).encode()).hexdigest()  # not security
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


@dataclass(frozen=True)
class Site:
    """What every page of one request needs: the blog and the URL it is served under."""

    blog: SampleBlog
    base: str  # "http://127.0.0.1:PORT", no trailing slash

    @property
    def site_id(self) -> str:
        return stable_uuid("site", str(self.blog.seed), self.blog.site_name)


def head(site: Site, *, title: str, layout: str, canonical: str, meta: list[str],
         page_url: str) -> str:
    """`<head>`: Wix meta, viewer-model islands, title, canonical, feed link and `meta`."""
    model = {
        "fleetConfig": {"fleetName": "wix-thunderbolt", "type": "GA", "code": 0},
        "mode": {"qa": False, "debug": False, "ssrOnly": False},
        "site": {"metaSiteId": site.site_id, "externalBaseUrl": site.base,
                 "siteRevision": 100 + len(site.blog.posts), "isResponsive": layout == "new"},
        "requestUrl": page_url,
    }
    fedops = {"data": {"site": {"metaSiteId": site.site_id, "appNameForBiEvents": "thunderbolt"},
                       "requestUrl": page_url}}
    strings = {"appsWarmupData": {"blog": {"translations": _UI_STRINGS}}}
    name = escape(site.blog.site_name)
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        "  <meta charset='utf-8'>",
        '  <meta name="viewport" content="width=device-width, initial-scale=1" '
        'id="wixDesktopViewport" />',
        '  <meta http-equiv="X-UA-Compatible" content="IE=edge">',
        '  <meta name="generator" content="Wix.com Website Builder"/>',
        '  <link rel="icon" sizes="192x192" href="https://www.wix.com/favicon.ico" '
        'type="image/x-icon"/>',
        "  <script>",
        "    (function () {",
        '      window.thunderboltTag = "libs-releases-GA-local"',
        f'      window.thunderboltVersion = "{TB_VERSION[layout]}"',
        "    })();",
        "  </script>",
        '  <script type="application/json" id="wix-essential-viewer-model">'
        f"{_json_island(model)}</script>",
        f'  <script type="application/json" id="wix-fedops">{_json_island(fedops)}</script>',
        f'  <script type="application/json" id="wix-warmup-data">{_json_island(strings)}</script>',
        f"  <style>{_CSS}</style>",
        f'  <meta http-equiv="X-Wix-Meta-Site-Id" content="{site.site_id}">',
        '  <meta http-equiv="etag" content="bug"/>',
        f"  <title>{escape(title)}</title>",
        f'  <link rel="canonical" href="{escape(canonical)}"/>',
        *(f"  {line}" for line in meta),
        f'  <link rel="alternate" href="{site.base}/blog-feed.xml" title="{name} - RSS" '
        'type="application/rss+xml"/>',
        "</head>",
    ]
    return "\n".join(lines)


def _json_island(data: dict) -> str:
    # "</" must not end the script element early; Wix escapes slashes the same way.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")


def og_meta(props: list[tuple[str, str]]) -> list[str]:
    """`<meta property|name=… content=…/>` lines; twitter:* use name=, the rest property=."""
    out = []
    for key, value in props:
        attr = "name" if key.startswith("twitter:") or key in ("description", "robots") \
            else "property"
        out.append(f'<meta {attr}="{key}" content="{escape(value)}"/>')
    return out


def _menu(site: Site, current: str) -> str:
    items = []
    for n, (label, path) in enumerate(MENU):
        selected = ' aria-current="page"' if path == current else ""
        items.append(f'<li id="comp-menu{n}" class="wixui-dropdown-menu__item">'
                     f'<a href="{site.base}{path}" class="wNTNML"{selected}>'
                     f'<p class="VhM8Ji" id="comp-menu{n}label">{label}</p></a></li>')
    return ('<wix-dropdown-menu id="comp-menu" class="wixui-dropdown-menu" tabindex="-1">'
            '<nav class="pols_4" id="comp-menunavContainer" aria-label="Site">'
            f'<ul class="wTjmlM" id="comp-menuitemsContainer">{"".join(items)}</ul>'
            '<div id="comp-menunavContainer-hiddenA11ySubMenuIndication">'
            "Use tab to navigate through the menu items.</div></nav></wix-dropdown-menu>")


def site_header(site: Site, layout: str, current: str) -> str:
    logo = site.blog.logo
    image = ("" if logo is None else f'<wow-image id="img-logo" class="HlRz5e"><img src="'
             f'{logo.resized(240, 80)}" alt="{escape(site.blog.site_name)} logo"/></wow-image>')
    inner = (f'{image}<div id="comp-logo" class="wixui-rich-text"><h2 class="font_2 '
             f'wixui-rich-text__text"><a href="{site.base}">{escape(site.blog.site_name)}</a>'
             f"</h2></div>{_menu(site, current)}")
    if layout == "classic":  # older builds wrap the header
        return ('<header class="SITE_HEADER_WRAPPER" tabindex="-1" id="SITE_HEADER_WRAPPER">'
                '<div id="SITE_HEADER" class="xU8fqS SITE_HEADER wixui-header" tabindex="-1">'
                f"{inner}</div></header>")
    return (f'<header id="SITE_HEADER" class="CDNoF4 SITE_HEADER wixui-header" tabindex="-1">'
            f"{inner}</header>")


def site_footer(site: Site, layout: str) -> str:
    inner = ('<div id="comp-footer-text" class="wixui-rich-text"><p class="font_9 '
             f'wixui-rich-text__text">© 2035 by {escape(site.blog.site_name)}. Proudly created '
             'with <a href="https://www.wix.com" target="_blank">Wix.com</a></p></div>'
             '<ul class="mpGTIt" aria-label="Social Bar"><li><a href="https://example.com/social"'
             ' aria-label="Facebook">Facebook</a></li></ul>')
    if layout == "classic":
        return ('<footer class="SITE_FOOTER_WRAPPER" tabindex="-1" id="SITE_FOOTER_WRAPPER">'
                f'<div id="SITE_FOOTER" class="fDPYmu SITE_FOOTER wixui-footer" tabindex="-1">'
                f"{inner}</div></footer>")
    return (f'<footer id="SITE_FOOTER" class="CDNoF4 SITE_FOOTER wixui-footer" tabindex="-1">'
            f"{inner}</footer>")


def blog_header(site: Site, current: str = "") -> str:
    """The blog sub-menu: category navigation, search box and the login button."""
    here = ' aria-current="page"' if current == "" else ""
    items = [f'<li data-hook="header-navigation__"><a href="{site.base}/blog" class="UlUPo4 '
             'blog-navigation-container-color blog-navigation-container-font" data-hook="link"'
             f"{here}>All Posts</a></li>"]
    for name, slug, _text in site.blog.categories():
        active = ' aria-current="page"' if current == slug else ""
        items.append(f'<li data-hook="header-navigation__/categories/{slug}">'
                     f'<a href="{site.base}/blog/categories/{slug}" class="UlUPo4 '
                     'blog-navigation-container-color blog-navigation-container-font" '
                     f'data-hook="link"{active}>{escape(name)}</a></li>')
    return (
        '<div class="FDtnt5 XDcQnF OdeuKJ blog-header-background-color" '
        'data-hook="blog-desktop-header-container"><div class="Y0bxin iNQ68R">'
        '<nav class="kU2es5 blog-header__navigation blog-navigation-container-font" '
        f'aria-label="blog"><ul class="LnLd_R">{"".join(items)}</ul></nav>'
        '<div class="EKJcYR"><div class="gXfmMa" data-hook="search-input">'
        '<div class="kD1Yyw search-input" tabindex="-1">'
        f'<div tabindex="0" role="button" aria-label="Search">{_ICON}</div>'
        '<input class="m2yAmK blog-desktop-header-search-font" type="text" placeholder="Search"'
        ' aria-label="Search" value=""/>'
        '<div class="RFnngL blog-desktop-header-search-font">Search</div></div></div>'
        '<button class="ntKNd_ BpWyrA blog-button-secondary" type="button" '
        'data-hook="login-button"><span class="I4gY7Y">Log in / Sign up</span></button>'
        "</div></div></div>"
    )


def _cookie_banner() -> str:
    return ('<div id="consent-banner-root"><div class="ccsu-banner" data-hook="ccsu-banner-wrapper"'
            ' role="region" aria-label="Cookie banner"><div data-hook="ccsu-banner-text">'
            "<p>This website uses cookies to understand how visitors use it. By accepting, you "
            'agree to their use. <a href="/about#privacy">Privacy Policy</a></p></div>'
            '<div class="ccsu-banner-buttons">'
            '<button data-hook="ccsu-banner-settings-button">Settings</button>'
            '<button data-hook="ccsu-banner-decline-button">Decline All</button>'
            '<button data-hook="ccsu-banner-accept-button">Accept</button></div></div></div>')


def document(site: Site, *, head_html: str, layout: str, page_id: str, current: str,
             content: str) -> str:
    """The whole page: `content` goes inside #PAGES_CONTAINER > #SITE_PAGES."""
    tb = "qhwIj" if layout == "classic" else "qe3oTb"
    return (
        f"{head_html}\n<body class=\"\">\n"
        '<div id="SITE_CONTAINER"><div id="main_MF" class="main_MF">'
        f'<div id="SCROLL_TO_TOP" class="{tb} ignore-focus SCROLL_TO_TOP" role="region" '
        'tabindex="-1" aria-label="top of page"><span class="mHZSwn">top of page</span></div>\n'
        f'<div id="BACKGROUND_GROUP" class="BACKGROUND_GROUP"><div id="pageBackground_{page_id}"'
        f' class="pageBackground_{page_id}"></div></div>\n'
        '<div id="site-root" class="site-root"><div id="masterPage" '
        'class="mesh-layout masterPage css-editing-scope">\n'
        f"{site_header(site, layout, current)}\n"
        '<main id="PAGES_CONTAINER" class="PAGES_CONTAINER" tabindex="-1" '
        'data-main-content="true"><div id="SITE_PAGES" class="SITE_PAGES">'
        f'<div id="SITE_PAGES_TRANSITION_GROUP"><div id="{page_id}" class="{page_id}">'
        f'<div class="wixui-page"></div><div id="Container{page_id}" class="Container{page_id}">'
        f"\n{content}\n"
        "</div></div></div></div></main>\n"
        f"{site_footer(site, layout)}\n"
        "</div></div>\n"
        f'<div id="SCROLL_TO_BOTTOM" class="{tb} ignore-focus SCROLL_TO_BOTTOM" role="region" '
        'tabindex="-1" aria-label="bottom of page"><span class="mHZSwn">bottom of page</span>'
        "</div></div></div>\n"
        f"{_cookie_banner()}\n"
        "</body>\n</html>\n"
    )


def blog_app(section_id: str, root_hook: str, inner: str) -> str:
    """The blog TPA section wrapper (post-page-root on posts, feed-page-root on listings)."""
    return (f'<div id="TPAMultiSection_{section_id}" class="TPAMultiSection_{section_id}">'
            '<div data-hook="tpa-components-provider">'
            f'<div class="md lt-lg gt-xs gt-s w686-980" data-hook="{root_hook}">'
            '<div class="L5x0Fp blog-background-color is-desktop app-desktop">'
            '<div class="qi0cF2 message" data-hook="message"></div>'
            '<div class="WmZAIu" id="new-blog-popover-root"></div>'
            f'<div id="content-wrapper">{inner}</div></div></div></div></div>')
