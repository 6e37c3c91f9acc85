"""What error pages are titled: shared by the page extractor and the dump cleaner.

A module of its own, not crawler.clean.vocabulary: compiling the vocabulary's patterns costs
~90 ms, which the extract path must not pay for one regex.
"""

from __future__ import annotations

import re

# Error-page titles, Wix's and generic ones ("404 | Site", "Page not found", "500 Error").
ERROR_TITLE = re.compile(
    r"^\s*(?:40[34]|410|50[0-3])\b|\b(?:page not found|not found|error 40[34]|"
    r"page isn.t available|seite nicht gefunden|page introuvable|página no encontrada|"
    r"pagina non trovata|pagina niet gevonden|página não encontrada)\b",
    re.I,
)
