"""Ricos body blocks the real corpus lacks, built as Wix's published Ricos viewer renders them
(the markup of the open-source viewer, wix/ricos, and the data-hooks of ../shared/reference):
what a reader sees of each stays, the block's player or widget chrome does not."""

from __future__ import annotations

import json

import pytest

from crawler.extract import extract_article

_MP3 = "https://music.wixstatic.com/mp3/a1b2c3_0123456789abcdef0123456789abcdef.mp3"


def _post_with(body: str):
    return extract_article(
        '<html><head><meta name="generator" content="Wix.com Website Builder">'
        '<meta property="og:type" content="article"><title>Sounds</title></head><body>'
        '<article data-hook="post"><h1 data-hook="post-title">Sounds</h1>'
        f'<div data-hook="post-description"><p>Before.</p>{body}<p>After.</p></div>'
        "</article></body></html>", "https://www.site.com/post/sounds")


def _audio(player: str) -> str:
    # plugin-audio's AudioViewer > ReactPlayerWrapper: the custom player (details, play button,
    # times, seek slider, menu), then react-player's own element, which names the file once
    # the browser has loaded it (the served HTML may lack it)
    return (
        '<div data-hook="audio-container"><div><div class="customPlayer"><div class="track">'
        '<div class="audioDetails"><span class="title">Morning birds</span><span '
        'class="author_name">Ada Gardener</span></div><div class="trackContainer"><button '
        'aria-label="Play"><svg></svg></button><div class="audio_duration"><time datetime="P0S">'
        '0:00</time> /<time datetime="P215S">3:35</time></div><div class="sliders"><div '
        'data-hook="audioSlider" role="slider" aria-valuenow="0"><span></span></div></div>'
        f"<button><svg></svg></button></div></div></div>{player}</div></div>")


@pytest.mark.parametrize("player", [
    "", f'<div style="width:0;height:0"><audio src="{_MP3}" preload="auto"></audio></div>'])
def test_an_audio_block_is_its_track_and_author_without_the_players_times(player):
    """The track's name and author ran together and the player's times were a paragraph:
    "Morning birdsAda Gardener", "0:00 /3:35"."""
    article = _post_with(_audio(player))
    assert article.body_text == "Before.\n\nMorning birds\nAda Gardener\n\nAfter."
    line = "Morning birds<br>Ada Gardener"
    assert (f'<p><a href="{_MP3}" rel="noopener noreferrer">{line}</a></p>' if player
            else f"<p>{line}</p>") in article.body_html
    markdown = "Morning birds  \nAda Gardener"
    assert (f"[{markdown}]({_MP3})" if player else markdown) in article.body_markdown
    assert "0:00" not in article.body_markdown


def _html_block(frame: str) -> str:
    # plugin-html's HtmlComponent: an embed's markup (an HTML block, or a social post embedded
    # by its link: Instagram, X, TikTok) is written into a sandboxed frame by script; an
    # address embedded as such is the frame's own src
    return ('<div data-hook="HtmlComponent" class="htmlComponent" style="width:350px;'
            f'height:550px">{frame}</div>')


def test_an_html_blocks_sandbox_frame_is_not_a_link_of_the_post():
    """The frame's src, the sandbox's one empty page for every embed, was a link in the body
    (`<https://www.filesusr.com/html/…_v1.html>`), leading a reader nowhere."""
    article = _post_with(_html_block(
        '<iframe src="https://www.filesusr.com/html/db9376e69cfa487ea0fa0b912ae51a4f_v1.html" '
        'style="background-color:transparent" title="remote content"></iframe>'))
    assert article.body_html == "<p>Before.</p>\n<p>After.</p>"
    assert "filesusr" not in article.body_markdown


def test_an_html_block_embedding_an_address_keeps_it_as_a_link():
    form = "https://forms.example.org/f/123"
    article = _post_with(_html_block(f'<iframe src="{form}" title="remote content"></iframe>'))
    assert f'<p><a href="{form}" rel="noopener noreferrer">{form}</a></p>' in article.body_html
    assert f"<{form}>" in article.body_markdown


def _text(value: str) -> dict:
    return {"type": "TEXT", "id": "", "nodes": [], "textData": {"text": value, "decorations": []}}


def _item(key: str, title: str, answer: str) -> dict:
    return {"type": "COLLAPSIBLE_ITEM", "id": f"i{key}", "nodes": [
        {"type": "COLLAPSIBLE_ITEM_TITLE", "id": f"t{key}", "nodes": [
            {"type": "PARAGRAPH", "id": f"q{key}", "nodes": [_text(title)]}]},
        {"type": "COLLAPSIBLE_ITEM_BODY", "id": f"b{key}", "nodes": [
            {"type": "PARAGRAPH", "id": f"a{key}", "nodes": [_text(answer)]}]}]}


_QUESTIONS = [("1", "How often to water?", "Once a week."),
              ("2", "In winter?", "Every other week, <less> in the cold.")]


def _pair(key: str, title: str, answer: str | None) -> str:
    # CollapsibleListPair: the expand button and the title's inner viewer, then the answer's
    # inner viewer only while the item is expanded; every block has the id viewer-<node id>
    shown = f'<div class="content"><p id="viewer-a{key}">{answer}</p></div>' if answer else ""
    return (f'<div><div class="titleContainer"><div role="button" tabindex="-1" '
            f'data-hook="ExpandCollapseButton_{int(key) - 1}"><svg role="button" '
            f'aria-label="Expand"></svg></div><div class="title"><p id="viewer-q{key}">{title}'
            f"</p></div></div>{shown}</div>")


def _faq_post(first_expanded: bool, with_document: bool = True):
    pairs = "".join(_pair(key, title, answer if first_expanded and key == "1" else None)
                    for key, title, answer in _QUESTIONS)
    document = {"nodes": [{"type": "COLLAPSIBLE_LIST", "id": "c1", "nodes": [
        _item(*question) for question in _QUESTIONS]}]}
    page = {"data": {"postPage": {"post": {"id": "ac85", "richContent": document}}}}
    warmup = {"appsWarmupData": {"14bcded7-0066-7c35-14d7-466cb3f09103": {
        "OldPostPageWarmupData-faq": json.dumps(page)}}}
    script = (f'<script type="application/json" id="wix-warmup-data">{json.dumps(warmup)}'
              "</script>") if with_document else ""
    return extract_article(
        '<html><head><meta name="generator" content="Wix.com Website Builder">'
        '<meta property="og:type" content="article"><title>FAQ</title></head><body>'
        '<article data-hook="post"><h1 data-hook="post-title">FAQ</h1>'
        '<div data-hook="post-description"><p id="viewer-p0">Before.</p>'
        f'<div id="viewer-c1">{pairs}</div><p id="viewer-p9">After.</p></div></article>'
        f"{script}</body></html>", "https://www.site.com/post/faq")


@pytest.mark.parametrize("first_expanded", [True, False])
def test_a_collapsible_lists_collapsed_answers_come_from_the_posts_document(first_expanded):
    """Ricos renders an item's answer only while it is expanded: the archive kept the
    questions alone ("In winter?" with no answer) though the page embeds every answer."""
    article = _faq_post(first_expanded)
    assert article.body_text.split("\n\n") == [
        "Before.", "How often to water?", "Once a week.", "In winter?",
        "Every other week, <less> in the cold.", "After."]
    assert "<p>Every other week, &lt;less&gt; in the cold.</p>" in article.body_html
    assert "In winter?\n\nEvery other week, &lt;less> in the cold." in article.body_markdown
    assert any("collapsed answers" in warning for warning in article.warnings)


def test_a_collapsible_list_without_the_document_keeps_what_the_html_shows():
    article = _faq_post(True, with_document=False)
    assert article.body_text.split("\n\n") == [
        "Before.", "How often to water?", "Once a week.", "In winter?", "After."]
    assert not any("collapsed answers" in warning for warning in article.warnings)


_IMAGE = "https://static.wixstatic.com/media/a1b2c3_5~mv2.jpg"


@pytest.mark.parametrize("description", [
    "This image contains a spoiler", "The finished room, before the reveal"])
def test_a_spoiler_cover_over_an_image_is_not_body_text(description):
    """plugin-spoiler's BlockSpoilerComponent: its cover (an icon, a description and the
    reveal button) sits before the blurred image. The description was a paragraph of the body
    ("This image contains a spoiler"); the image is what the post holds there."""
    article = _post_with(
        '<div class="spoilerWrapper"><div class="spoilerContainer" style="width:100%"><svg>'
        f'</svg><span dir="auto" style="display:block;max-width:89%">{description}</span>'
        '<button class="revealSpoilerBtn" data-hook="revealSpoilerBtn"><span dir="auto">'
        'Reveal Image</span></button></div><div class="hideBlock largeBlur" role="button" '
        f'tabindex="0"><figure data-hook="figure-IMAGE"><img src="{_IMAGE}" alt="Room"></figure>'
        '<div role="none" class="overlay"></div></div></div>')
    assert article.body_text == "Before.\n\nAfter."
    assert article.body_html == (f'<p>Before.</p>\n<figure><img src="{_IMAGE}" alt="Room">'
                                 "</figure>\n<p>After.</p>")
    assert article.images == [_IMAGE]


def _poll_document(options: list[str]) -> dict:
    return {"nodes": [{"type": "POLL", "id": "poll1", "nodes": [], "pollData": {
        "poll": {"id": "9f1c", "title": "Which brush?",
                 "options": [{"id": f"o{n}", "title": title} for n, title in enumerate(options)]},
        "layout": {"poll": {"type": "LIST"}}, "design": {}}}]}


def _poll_option(title: str, percent: str | None) -> str:
    # plugin-social-polls's PollListOption in view mode: a TextField <p> holding the progress
    # bar, the percentage once the results have loaded, and the option's title; then the
    # voters' line (VotedUsers)
    result = (f'<span class="progress" style="width:{percent}"></span>'
              f'<span class="progress_value">{percent}</span>') if percent else \
        '<span class="progress" style="width:0%"></span>'
    votes = ('<div class="container" role="button" tabindex="-1"><ul class="avatar_list"></ul>'
             "<span>3 votes</span></div>") if percent else ""
    return (f'<li class="option"><div class="option list cta" role="button" tabindex="0"><div '
            f'class="title"><p class="text">{result}<span class="value">{title}</span></p></div>'
            f'<div class="check"><svg></svg></div></div>{votes}</li>')


@pytest.mark.parametrize("results", [False, True])
def test_a_poll_is_its_question_and_every_option_from_the_posts_document(results):
    """The viewer shows a poll's first four options only ("See all options"), and once its
    results load a percentage run into each option and the votes under it ("60%Flat",
    "3 votes"). The poll of the post's document is its question and all its options."""
    options = ["Flat", "Round", "Angled", "Fan", "Mop"]
    shown = "".join(_poll_option(title, "20%" if results else None) for title in options[:4])
    page = {"data": {"postPage": {"post": {"richContent": _poll_document(options)}}}}
    warmup = {"appsWarmupData": {"blog": {"OldPostPageWarmupData-poll": json.dumps(page)}}}
    article = _post_with(
        '<div id="viewer-poll1"><div class="container"><div class="background_overlay"></div>'
        '<div class="header"><p class="text title"><span class="value">Which brush?</span></p>'
        f'</div><ul class="options list">{shown}</ul><button class="see_more">See All Options'
        "</button></div></div>"
        f'<script type="application/json" id="wix-warmup-data">{json.dumps(warmup)}</script>')
    assert article.body_text.split("\n\n") == [
        "Before.", "Which brush?", *options, "After."]
    assert "<p>Which brush?</p>\n<ul>\n<li>Flat</li>" in article.body_html
    assert "- Mop" in article.body_markdown and "%" not in article.body_markdown
    assert any("a poll read from" in warning for warning in article.warnings)


_INSTAGRAM = "https://www.instagram.com/p/C1a2B3c4D5e/"
_POST_TITLE = "Ada Gardener on Instagram: \u201cFirst tulips\u201d"


def _embed_document(node: dict) -> str:
    page = {"data": {"postPage": {"post": {"richContent": {"nodes": [node]}}}}}
    warmup = {"appsWarmupData": {"blog": {"OldPostPageWarmupData-embed": json.dumps(page)}}}
    return f'<script type="application/json" id="wix-warmup-data">{json.dumps(warmup)}</script>'


@pytest.mark.parametrize("frame", [
    "",  # as served: IframeHtml renders its frame only in the browser
    '<iframe src="https://www.filesusr.com/html/db9376e69cfa487ea0fa0b912ae51a4f_v1.html" '
    'title="remote content"></iframe>'])
@pytest.mark.parametrize("node", [
    # a link to a social post shown as the post itself (LinkPreviewViewer with `html`)
    {"type": "LINK_PREVIEW", "id": "emb1", "nodes": [], "linkPreviewData": {
        "link": {"url": _INSTAGRAM}, "title": _POST_TITLE,
        "html": '<blockquote class="instagram-media">View this post on Instagram</blockquote>'}},
    {"type": "EMBED", "id": "emb1", "nodes": [], "embedData": {"oembed": {
        "type": "rich", "url": _INSTAGRAM, "title": _POST_TITLE,
        "html": '<blockquote class="instagram-media"></blockquote>'}}},
], ids=["link-preview", "embed"])
def test_an_embedded_social_post_is_a_link_to_it_named_by_its_title(node, frame):
    """The embed's content is in a frame a script fills: the body held nothing of it (or a
    link to the sandbox's empty page), so the archive lost that the post embedded anything."""
    article = _post_with(f'<div id="viewer-emb1">{_html_block(frame)}</div>'
                         + _embed_document(node))
    title = _POST_TITLE
    assert article.body_text == f"Before.\n\n{title}\n\nAfter."
    assert f'<p><a href="{_INSTAGRAM}" rel="noopener noreferrer">{title}</a></p>' \
        in article.body_html
    assert f"[{title}]({_INSTAGRAM})" in article.body_markdown
    assert any("embedded post or page" in warning for warning in article.warnings)


def test_a_link_preview_card_the_html_shows_is_left_as_it_is():
    node = {"type": "LINK_PREVIEW", "id": "emb1", "nodes": [], "linkPreviewData": {
        "link": {"url": _INSTAGRAM}, "title": "Other", "html": "<blockquote></blockquote>"}}
    article = _post_with('<div id="viewer-emb1"><p>Shown card</p></div>' + _embed_document(node))
    assert article.body_text == "Before.\n\nShown card\n\nAfter."


@pytest.mark.parametrize("shown", [
    "",  # as served: the map is drawn in the browser
    # Google's map once drawn: its controls and credits
    '<div class="gm-style"><div><a href="https://maps.google.com/maps?ll=52.52,13.4" '
    'title="Open this area in Google Maps">Google</a></div><div><span>Map data ©2024 Google'
    '</span><a href="https://www.google.com/intl/en_US/help/terms_maps.html">Terms</a><a '
    'href="https://www.google.com/maps/@52.52,13.4,14z/data=!10m1!1e1!12b1">Report a map error'
    "</a></div><button>Keyboard shortcuts</button></div>"])
def test_a_map_is_its_places_name_and_address(shown):
    """A map block held nothing in the served HTML, and once Google drew it, its credits and
    controls ("Map data ©2024 Google", "Terms", "Report a map error")."""
    node = {"type": "MAP", "id": "map1", "nodes": [], "mapData": {"mapSettings": {
        "address": "Alexanderplatz 1, 10178 Berlin", "locationName": "Our shop", "lat": 52.52,
        "lng": 13.4, "marker": True}}}
    article = _post_with(f'<div id="viewer-map1"><div data-hook="mapViewer">{shown}</div></div>'
                         + _embed_document(node))
    assert article.body_text == "Before.\n\nOur shop\nAlexanderplatz 1, 10178 Berlin\n\nAfter."
    assert "<p>Our shop<br>Alexanderplatz 1, 10178 Berlin</p>" in article.body_html
    assert "Google" not in article.body_markdown
    assert any("a map's place" in warning for warning in article.warnings)


def test_a_gif_played_as_a_silent_loop_is_an_image_of_the_post():
    """plugin-giphy's GiphyViewer plays Giphy's MP4 of the GIF (`<video role="img">`): it was a
    video, a bare link in the body and a video file among the attachments; readers saw an
    animated picture, which Giphy serves as the GIF beside the MP4."""
    article = _post_with(
        '<div id="viewer-g1"><div class="giphy"><video role="img" autoplay="" muted="" loop="" '
        'playsinline="" aria-label="gif" class="giphy_player" '
        'src="https://media.giphy.com/media/xT9IgG50Fb7Mi0prBC/giphy.mp4"></video></div></div>')
    gif = "https://media.giphy.com/media/xT9IgG50Fb7Mi0prBC/giphy.gif"
    assert article.body_html == f'<p>Before.</p>\n<figure><img src="{gif}" alt="gif"></figure>' \
        "\n<p>After.</p>"
    assert f"![gif]({gif})" in article.body_markdown
    assert article.images == [gif] and article.attachments == []


def test_a_video_marked_as_an_image_without_a_gif_stays_a_video():
    clip = "https://cdn.example.org/loops/waves.mp4"
    article = _post_with(f'<video role="img" autoplay="" muted="" loop="" src="{clip}"></video>')
    assert f"<{clip}>" in article.body_markdown
    assert [item["url"] for item in article.attachments] == [clip]


@pytest.mark.parametrize("note", [
    "You can vote for more than one answer.", "Vous pouvez voter pour plus d'une réponse."])
def test_a_polls_note_is_not_body_text_without_the_posts_document(note):
    """Served without the post's document, a poll is what its HTML shows: its question and
    options, but not the viewer's note under them, which was a paragraph of the body."""
    options = "".join(_poll_option(title, None) for title in ("Flat", "Round"))
    article = _post_with(
        '<div id="viewer-poll1"><div class="container"><div class="header"><p class="text">'
        f'<span class="value">Which brush?</span></p></div><ul class="options list">{options}'
        f'</ul><p class="additional_note">{note}</p></div></div>')
    assert article.body_text.split("\n\n") == [
        "Before.", "Which brush?", "Flat", "Round", "After."]


def test_a_documents_text_lxml_refuses_never_loses_the_page():
    """A poll's, an embed's or a map's text with a character XML forbids (a NUL, a form feed)
    is read without it: lxml refuses such text, which would have made the page an error."""
    nodes = [
        {"type": "POLL", "id": "poll1", "nodes": [], "pollData": {"poll": {
            "title": "Which\x00 brush?", "options": [{"title": "Flat\x0c"}]}}},
        {"type": "EMBED", "id": "emb1", "nodes": [], "embedData": {"oembed": {
            "url": _INSTAGRAM + "\x01", "title": "Tulips\x1f"}}},
        {"type": "MAP", "id": "map1", "nodes": [], "mapData": {"mapSettings": {
            "locationName": "Our\x00 shop", "address": "Main St 1\x0b"}}}]
    page = {"data": {"postPage": {"post": {"richContent": {"nodes": nodes}}}}}
    warmup = {"appsWarmupData": {"blog": {"OldPostPageWarmupData-x": json.dumps(page)}}}
    article = _post_with(
        '<div id="viewer-poll1"><p>Which brush?</p></div><div id="viewer-emb1"></div>'
        '<div id="viewer-map1"></div>'
        f'<script type="application/json" id="wix-warmup-data">{json.dumps(warmup)}</script>')
    assert article.page_kind == "post"
    assert article.body_text.split("\n\n") == [
        "Before.", "Which brush?", "Flat", "Tulips", "Our shop\nMain St 1", "After."]
