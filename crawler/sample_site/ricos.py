"""Ricos viewer markup for a post body, in the two generations seen on real Wix blogs.

Classic (rce 9.x, blog app up to ~TB 1.15) and new (rce 10.x) share the block layout:
each node sits in `div[data-breakout]` followed by an empty `div[data-hook=rcv-blockN]` marker;
empty lines are `div#viewer-… > span > br`, spacers are `p#viewer-… > span > " "`. Images keep a
blurred placeholder in `src` and the full-size URL in `data-pin-media`.
"""

from __future__ import annotations

import json
from html import escape

from crawler.sample_site.model import Block, Image, Segment

RCE_VERSION = {"classic": "9.18.1", "new": "10.177.1"}
# Hashed CSS class names differ between the two generations, as they do on real sites.
_CLASSES = {
    "classic": {"wrap": "hSfGy", "inner": "y4DP2", "blocks": "KcNlj", "p": "H0BMW qw9d2 _5TXqj",
                "span": "GkipB", "h": "ncyPS nhBpC _5TXqj", "link": "_3Bkfb _1lsz7"},
    "new": {"wrap": "hlNxE", "inner": "AoJX1", "blocks": "LYSrh", "p": "-Q4aO hw1z8 DcaPr o-zp-",
            "span": "ATqq4", "h": "Hasdr P8FAI _18oPJ", "link": "dtqu- Cnx4-"},
}
_EXPAND_ICON = ('<svg viewBox="0 0 19 19" xmlns="http://www.w3.org/2000/svg" class="ygD6o">'
                '<path d="M15.071 8.371V4.585l-4.355 4.356a.2.2 0 0 1-.283 0z" fill="#000"/></svg>')


def _segment(segment: Segment, link_class: str) -> str:
    inner = f"<span>{escape(segment.text)}</span>"
    if segment.mark == "strong":
        inner = f'<strong style="font-weight:700">{inner}</strong>'
    elif segment.mark == "em":
        inner = f"<em>{inner}</em>"
    if segment.href:
        inner = (f'<a target="_blank" href="{escape(segment.href)}" rel="noopener" '
                 f'class="{link_class}" data-hook="web-link">'
                 f'<u style="text-decoration:underline">{inner}</u></a>')
    return inner


def _image(block: Block, image: Image, layout: str, page_url: str) -> str:
    info = {"containerId": block.node_id, "alignType": "center", "displayMode": "fill",
            "isLQIP": True, "lqipTransition": "blur", "encoding": "AVIF",
            "imageData": {"width": image.width, "height": image.height, "uri": image.media_id,
                          "name": "", "displayMode": "fill"}}
    img = (f'<wow-image id="{image.media_id}" class="s9SHU" '
           f'data-image-info="{escape(json.dumps(info, separators=(",", ":")))}" '
           f'data-has-ssr-src="true" data-is-responsive="true">'
           f'<img src="{image.placeholder}" alt="" style="width:100%;height:100%;'
           f'object-fit:cover" data-pin-url="{escape(page_url)}" data-pin-media="{image.url}" '
           f'draggable="false"/></wow-image>')
    dims = f"--dim-height:{image.height};--dim-width:{image.width}"
    if layout == "classic":
        viewer = (f'<div role="button" data-hook="imageViewer" tabindex="0" class="_318UE" '
                  f'aria-haspopup="true"><div style="{dims}" id="{block.node_id}" '
                  f'class="s0hau wOWb8">{img}</div></div>')
        return f'<figure class="j69io" data-hook="figure-IMAGE">{viewer}</figure>'
    viewer = (f'<div data-hook="image-viewer" class="qW3Ua"><div style="{dims}" '
              f'id="{block.node_id}" class="_3Eesd _04b1m" '
              f'data-hook="image-viewer-{block.node_id}">'
              f'{img}</div><button class="vOU3n" type="button" data-hook="image-expand-button" '
              f'aria-label="Expand image">{_EXPAND_ICON}</button></div>')
    return f'<figure class="Exewp" data-hook="figure-IMAGE">{viewer}</figure>'


def _node(block: Block, layout: str, page_url: str) -> tuple[str, str]:
    """(markup, Ricos type) of one block."""
    css = _CLASSES[layout]
    vid = f"viewer-{block.node_id}"
    text_span = f'<span class="{css["span"]}">'
    if block.kind == "paragraph":
        runs = "".join(_segment(s, css["link"]) for s in block.segments)
        return (f'<p class="{css["p"]}" dir="auto" id="{vid}">{text_span}{runs}</span></p>',
                "paragraph")
    if block.kind == "heading":
        tag = f"h{block.level}"
        runs = "".join(_segment(s, css["link"]) for s in block.segments)
        return (f'<{tag} class="{css["h"]}" dir="auto" id="{vid}">{text_span}{runs}</span>'
                f"</{tag}>", "heading")
    if block.kind in ("bulleted_list", "ordered_list"):
        tag = "ol" if block.kind == "ordered_list" else "ul"
        style = "decimal" if tag == "ol" else "disc"
        items = "".join(
            f'<li dir="auto" aria-level="1" class="vstrc" style="list-style-type:{style}">'
            f'<p class="{css["p"]}" dir="" id="{vid}{n}">{text_span}<span>{escape(item)}</span>'
            f"</span></p></li>"
            for n, item in enumerate(block.items)
        )
        return f'<{tag} class="OEvv8 _18oPJ">{items}</{tag}>', block.kind
    if block.kind == "blockquote":
        runs = "".join(_segment(s, css["link"]) for s in block.segments)
        return (f'<div class="hJE40" dir="ltr" id="{vid}"><blockquote class="QBo38"><span>'
                f'<div class="_18oPJ DWkY9" dir="auto" id="{vid}q">{text_span}{runs}</span></div>'
                f"</span></blockquote></div>", "blockquote")
    if block.kind == "image" and block.image is not None:
        return (f'<div class="Ty9C4" id="{vid}"><div class="_5TbcM" style="width:min(100%, '
                f'740px)">{_image(block, block.image, layout, page_url)}</div></div>', "image")
    if block.kind == "video" and block.video:
        # Ricos's player once loaded: react-player renders a <video> for a file URL.
        return (f'<div class="Ty9C4" id="{vid}"><div class="_5TbcM"><figure class="Exewp" '
                f'data-hook="figure-VIDEO"><div class="i5n99" data-hook="video-player"><div '
                f'style="width:100%;height:100%" data-loaded="true" class="vWEd7"><video '
                f'src="{escape(block.video)}" controls="" preload="none" '
                f'style="width:100%;height:100%"></video></div></div></figure></div></div>',
                "video")
    if block.kind == "spacer":
        return (f'<p class="{css["p"]}" dir="auto" id="{vid}">{text_span}<span> </span></span>'
                "</p>", "paragraph")
    return (f'<div class="{css["p"]}" dir="auto" id="{vid}">{text_span}<br role="presentation"/>'
            f"</span></div>", "empty-line")


def render_body(blocks: list[Block], layout: str, page_url: str) -> str:
    """The `div[data-rce-version] > div[data-id=content-viewer]` tree for these blocks."""
    css = _CLASSES[layout]
    parts = [f'<div class="fTEXDR" data-rce-version="{RCE_VERSION[layout]}">'
             f'<div class="{css["wrap"]}" dir="ltr" data-id="content-viewer">'
             f'<div class="{css["inner"]}"><div type="first" data-hook="rcv-block-first"></div>'
             f'<div class="{css["blocks"]}">']
    for n, block in enumerate(blocks, start=1):
        markup, kind = _node(block, layout, page_url)
        parts.append(f'<div data-breakout="normal">{markup}</div>'
                     f'<div type="{kind}" data-hook="rcv-block{n}"></div>')
    parts.append('</div><div type="last" data-hook="rcv-block-last"></div></div></div></div>')
    return "".join(parts)


def feed_html(blocks: list[Block]) -> str:
    """The plain HTML Wix puts in a feed item's content:encoded."""
    out: list[str] = []
    for block in blocks:
        if block.kind in ("paragraph", "heading", "blockquote"):
            tag = {"paragraph": "p", "heading": f"h{block.level}", "blockquote": "blockquote"}
            runs = "".join(
                f'<a href="{escape(s.href)}" target="_top">{escape(s.text)}</a>' if s.href
                else escape(s.text) for s in block.segments)
            out.append(f"<{tag[block.kind]}>{runs}</{tag[block.kind]}>")
        elif block.kind in ("bulleted_list", "ordered_list"):
            tag = "ol" if block.kind == "ordered_list" else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{escape(i)}</li>" for i in block.items)
                       + f"</{tag}>")
        elif block.kind == "image" and block.image is not None:
            out.append(f'<figure><img src="{block.image.og_url}"></figure>')
    return "\n".join(out)
