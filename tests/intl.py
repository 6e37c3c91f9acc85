"""An archive of a multilingual blog: posts in Arabic, Japanese and German with non-Latin slugs
(stored percent-encoded, as a crawl stores them) and authors with non-Latin names."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from archive.store import Archive
from crawler.extract.record import Article

SITE = "https://blog.example.com"
JA_SLUG = "先週-東京に行きました"
JA_URL = f"{SITE}/post/{quote(JA_SLUG)}"  # as stored: percent-encoded UTF-8
JA_IRI = f"{SITE}/post/{JA_SLUG}"  # as a person reads it
JA_TITLE = "先週、東京に行きました"
AR_SLUG = "١٢-طريقة-للحصول-على-المتابعين"
AR_URL = f"{SITE}/post/{quote(AR_SLUG)}"
AR_TITLE = "١٢ طريقة للحصول على المزيد من المتابعين"
DE_URL = f"{SITE}/post/{quote('über-straßen')}"
PLAIN_URL = f"{SITE}/post/no-language"


def intl_article(url: str, title: str, author: str, language: str | None, body: str,
             **fields: Any) -> Article:
    return Article(url=url, title=title, author=author, published="2024-05-01T08:00:00Z",
                   language=language, body_text=body, body_html=f"<p>{body}</p>",
                   body_markdown=body, site_name="Blög 東京", **fields)


def build_intl_archive(path: Path) -> Path:
    with Archive.open(path) as archive:
        for article in (
            intl_article(JA_URL, JA_TITLE, "山田太郎", "ja", "新宿の喫茶店でコーヒーを飲みました。",
                     canonical_url=JA_IRI, categories=["カフェ"]),
            intl_article(AR_URL, AR_TITLE, "أحمد الخطيب", "ar",
                     "لم يعد من السهل الحصول على المزيد من المتابعين على انستجرام."),
            intl_article(DE_URL, "Über Straßen", "Jürgen Weiß", "de-DE",
                     "Die Straße vor dem Haus wurde neu gepflastert."),
            intl_article(PLAIN_URL, "No language stated", "李小龙", None, "Words without a lang."),
            # A second author whose name has no ASCII letter at all.
            intl_article(f"{SITE}/post/cafe", "我们的咖啡馆开业了", "山田花子", "zh",
                     "我们的咖啡馆在上海开业了。"),
        ):
            archive.save_article(article, fetched_at="2024-06-01T00:00:00+00:00")
    return path
