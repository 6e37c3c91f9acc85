"""Ricos body blocks the real corpus lacks, built as Wix's published Ricos viewer renders them
(the markup of the open-source viewer, wix/ricos, and the data-hooks of ../shared/reference):
what a reader sees of each stays, the block's player or widget chrome does not."""

from __future__ import annotations

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
