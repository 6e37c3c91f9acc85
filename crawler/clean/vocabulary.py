"""The multilingual vocabulary of Wix page chrome, as data plus the patterns compiled from it.

Wix renders its UI strings in the visitor's (or crawler's) locale, not the post's language, so every
pattern accepts every language at once. The data comes from ../shared/reference/wix-text-chrome.md
and wix-dom.md, extended to the locales Wix ships (en, fr, de, es, pt, nl, cs, it, ar, he, pl; the
post footer's and recent posts' strings in ko too).

Every pattern here matches a WHOLE line (after the cleaner strips bullets and blanks): nothing in
this module is a keyword filter, because real posts talk about comments, blogs, Wix and Facebook.
"""

from __future__ import annotations

import re
import unicodedata

from crawler.clean.ricos import RICOS_BUTTONS, RICOS_NOTES

# Any decimal digit: Wix prints Arabic-Indic digits on Arabic pages ("١ دقائق قراءة"), and
# Devanagari (०-९) or Bengali (০-৯) ones on Hindi, Marathi, Nepali or Bengali pages.
D = r"\d"
# A count as Wix prints it: a popular post's counters group their thousands ("34,462 views",
# "1.234 Aufrufe", "1 234 vues", "١٬٢٣٤ مشاهدة"), and the cards of "Recent Posts" show bare ones
# ("6,459").
COUNT = rf"(?:{D}{{1,3}}(?:[,.\u00a0\u202f\u066c ]{D}{{3}})+|{D}+)"
# Every combining mark (Unicode categories Mn and Mc), as ranges that take in no other
# character but unassigned code points: Python's \w takes no mark, and the vowel signs of
# Devanagari and Bengali sit inside their words ("जून", "জুন": June).
# tests/test_clean_text.py checks it against unicodedata.
MARKS = (
    "\u0300-\u036f\u0483-\u0487\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a"
    "\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0711\u0730-\u074a"
    "\u07a6-\u07b0\u07eb-\u07f3\u07fd\u0816-\u0819\u081b-\u0823\u0825-\u0827\u0829-\u082d"
    "\u0859-\u085b\u0898-\u089f\u08ca-\u08e1\u08e3-\u0903\u093a-\u093c\u093e-\u094f\u0951-\u0957"
    "\u0962\u0963\u0981-\u0983\u09bc\u09be-\u09cd\u09d7\u09e2\u09e3\u09fe-\u0a03\u0a3c-\u0a51"
    "\u0a70\u0a71\u0a75\u0a81-\u0a83\u0abc\u0abe-\u0acd\u0ae2\u0ae3\u0afa-\u0b03\u0b3c"
    "\u0b3e-\u0b57\u0b62\u0b63\u0b82\u0bbe-\u0bcd\u0bd7\u0c00-\u0c04\u0c3c\u0c3e-\u0c56"
    "\u0c62\u0c63\u0c81-\u0c83\u0cbc\u0cbe-\u0cd6\u0ce2\u0ce3\u0d00-\u0d03\u0d3b\u0d3c"
    "\u0d3e-\u0d4d\u0d57\u0d62\u0d63\u0d81-\u0d83\u0dca-\u0ddf\u0df2\u0df3\u0e31\u0e34-\u0e3a"
    "\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd\u0f18\u0f19\u0f35\u0f37\u0f39\u0f3e\u0f3f"
    "\u0f71-\u0f84\u0f86\u0f87\u0f8d-\u0fbc\u0fc6\u102b-\u103e\u1056-\u1059\u105e-\u1060"
    "\u1062-\u1064\u1067-\u106d\u1071-\u1074\u1082-\u108d\u108f\u109a-\u109d\u135d-\u135f"
    "\u1712-\u1715\u1732-\u1734\u1752\u1753\u1772\u1773\u17b4-\u17d3\u17dd\u180b-\u180d\u180f"
    "\u1885\u1886\u18a9\u1920-\u193b\u1a17-\u1a1b\u1a55-\u1a7f\u1ab0-\u1abd\u1abf-\u1b04"
    "\u1b34-\u1b44\u1b6b-\u1b73\u1b80-\u1b82\u1ba1-\u1bad\u1be6-\u1bf3\u1c24-\u1c37\u1cd0-\u1cd2"
    "\u1cd4-\u1ce8\u1ced\u1cf4\u1cf7-\u1cf9\u1dc0-\u1dff\u20d0-\u20dc\u20e1\u20e5-\u20f0"
    "\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u302a-\u302f\u3099\u309a\ua66f\ua674-\ua67d\ua69e\ua69f"
    "\ua6f0\ua6f1\ua802\ua806\ua80b\ua823-\ua827\ua82c\ua880\ua881\ua8b4-\ua8c5\ua8e0-\ua8f1"
    "\ua8ff\ua926-\ua92d\ua947-\ua953\ua980-\ua983\ua9b3-\ua9c0\ua9e5\uaa29-\uaa36\uaa43"
    "\uaa4c\uaa4d\uaa7b-\uaa7d\uaab0\uaab2-\uaab4\uaab7\uaab8\uaabe\uaabf\uaac1\uaaeb-\uaaef"
    "\uaaf5\uaaf6\uabe3-\uabea\uabec\uabed\ufb1e\ufe00-\ufe0f\ufe20-\ufe2f\U000101fd\U000102e0"
    "\U00010376-\U0001037a\U00010a01-\U00010a0f\U00010a38-\U00010a3f\U00010ae5\U00010ae6"
    "\U00010d24-\U00010d27\U00010eab\U00010eac\U00010f46-\U00010f50\U00010f82-\U00010f85"
    "\U00011000-\U00011002\U00011038-\U00011046\U00011070\U00011073\U00011074"
    "\U0001107f-\U00011082\U000110b0-\U000110ba\U000110c2\U00011100-\U00011102"
    "\U00011127-\U00011134\U00011145\U00011146\U00011173\U00011180-\U00011182"
    "\U000111b3-\U000111c0\U000111c9-\U000111cc\U000111ce\U000111cf\U0001122c-\U00011237"
    "\U0001123e\U000112df-\U000112ea\U00011300-\U00011303\U0001133b\U0001133c"
    "\U0001133e-\U0001134d\U00011357\U00011362-\U00011374\U00011435-\U00011446\U0001145e"
    "\U000114b0-\U000114c3\U000115af-\U000115c0\U000115dc\U000115dd\U00011630-\U00011640"
    "\U000116ab-\U000116b7\U0001171d-\U0001172b\U0001182c-\U0001183a\U00011930-\U0001193e"
    "\U00011940\U00011942\U00011943\U000119d1-\U000119e0\U000119e4\U00011a01-\U00011a0a"
    "\U00011a33-\U00011a39\U00011a3b-\U00011a3e\U00011a47\U00011a51-\U00011a5b"
    "\U00011a8a-\U00011a99\U00011c2f-\U00011c3f\U00011c92-\U00011cb6\U00011d31-\U00011d45"
    "\U00011d47\U00011d8a-\U00011d97\U00011ef3-\U00011ef6\U00016af0-\U00016af4"
    "\U00016b30-\U00016b36\U00016f4f\U00016f51-\U00016f92\U00016fe4-\U00016ff1"
    "\U0001bc9d\U0001bc9e\U0001cf00-\U0001cf46\U0001d165-\U0001d169\U0001d16d-\U0001d172"
    "\U0001d17b-\U0001d182\U0001d185-\U0001d18b\U0001d1aa-\U0001d1ad\U0001d242-\U0001d244"
    "\U0001da00-\U0001da36\U0001da3b-\U0001da6c\U0001da75\U0001da84\U0001da9b-\U0001daaf"
    "\U0001e000-\U0001e02a\U0001e130-\U0001e136\U0001e2ae\U0001e2ec-\U0001e2ef"
    "\U0001e8d0-\U0001e8d6\U0001e944-\U0001e94a\U000e0100-\U000e01ef")
# A word's letter with the marks on it (a month's name is two to twelve of them).
LETTER = rf"[^\W\d_][{MARKS}]*"


def _alt(words: list[str] | tuple[str, ...]) -> str:
    """An alternation, longest first so that "Sept" wins over "Sep"."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _line(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:{pattern})$", re.IGNORECASE)


def to_int(digits: str) -> int:
    """Parse digits of any script ("٢" -> 2)."""
    return int("".join(str(unicodedata.digit(ch)) for ch in digits))


# --- Page frame: the skip links are always English (wix-dom.md §1). -------------------------------
TOP_OF_PAGE = _line(r"top of page")
BOTTOM_OF_PAGE = _line(r"bottom of page")
# lynx lists the page's <link> elements above it: a titled one after a "#" (Wix titles every
# blog's feed "<Site> - RSS"), the others by their rel ("alternate"). No document <title>.
FEED_LINKS_LINE = re.compile(r"^#\S.*\s-\sRSS(?:\s+alternate)*$")

# --- Site header, menus, blog sub-header: only ever chrome BEFORE the title. ---
SKIP_LINKS = [
    "Skip to Main Content", "Skip to content", "Aller au contenu principal",
    "Zum Hauptinhalt springen", "Saltar al contenido principal", "Pular para o conteúdo principal",
    "Ir para o conteúdo principal", "Ga naar hoofdinhoud", "Přejít na hlavní obsah",
    "Vai al contenuto principale", "انتقل إلى المحتوى الرئيسي",
]
MENU_A11Y = [
    "Use tab to navigate through the menu items.",
    "Utilisez la touche Tab pour naviguer dans les éléments du menu.",
    "Verwenden Sie die Tabulatortaste, um durch die Menüelemente zu navigieren.",
    "Usa el tabulador para navegar por los elementos del menú.",
    "Use a tecla Tab para navegar pelos itens do menu.",
    "Gebruik tab om door de menu-items te navigeren.",
]
SEARCH = [
    "Search", "Rechercher", "Recherche", "Suche", "Suchen", "Buscar", "Búsqueda", "Pesquisar",
    "Pesquisa", "Zoeken", "Hledat", "Vyhledat", "Cerca", "Szukaj", "Cari", "بحث", "חיפוש",
]
LOGIN = [
    "Log In", "Log in / Sign up", "Sign up", "Sign Up", "Login", "Se connecter",
    "Connexion", "Se connecter / S'inscrire", "Connexion / Inscription", "Anmelden",
    "Anmelden / Registrieren", "Einloggen / Registrieren", "Iniciar sesión",
    "Iniciar sesión / Registrarse", "Entrar", "Entrar / Cadastrar", "Fazer login / Cadastrar",
    "Login / Cadastre-se", "Inloggen", "Inloggen / registreren", "Aanmelden", "Přihlásit se",
    "Přihlásit se / Zaregistrovat se", "Accedi", "Accedi / Iscriviti", "Zaloguj się",
    "تسجيل الدخول", "تسجيل الدخول / الاشتراك", "התחברות", "התחברות / הרשמה",
]
ALL_POSTS = [
    "All Posts", "Tous les articles", "Toutes les publications", "Tous les posts",
    "Alle Beiträge", "Alle Posts", "Todas las entradas", "Todas las publicaciones",
    "Todos os posts", "Todos posts", "Todas as publicações", "Alle berichten", "Alle posts",
    "Alle blogposts", "Všechny příspěvky", "Tutti i post", "Wszystkie posty",
    "جميع المنشورات", "كل المنشورات", "כל הפוסטים",
]
# Header widgets around the byline: the avatar's alt text and the post's "⋮" menu button.
AVATAR_ALTS = [
    "Writer's picture", "Photo du rédacteur", "Photo de l'auteur", "Bild des Autors",
    "Foto del escritor", "Foto do escritor", "Foto van schrijver", "Fotka autora",
    "صورة الكاتب",
]
AVATAR_ALT = f"(?:{_alt(AVATAR_ALTS)})"  # as a pattern's part
HEADER_WIDGETS = [
    *AVATAR_ALTS, "More actions", "Plus d'actions", "Weitere Aktionen", "Más acciones",
    "Mais ações", "Meer acties", "Další akce", "المزيد من الإجراءات",
]
MORE_MENU = ["More", "More...", "Plus", "Mehr", "Más", "Mais", "Meer", "Více", "Altro", "المزيد"]

# --- Post header block. ---
# Reading time, every locale Wix ships; group "n" is the number of minutes.
_READ_FORMS = [
    rf"(?P<n>{D}+)\s*min(?:ute)?s?\.?\s*read",  # en "2 min read"
    rf"(?P<n>{D}+)\s*min\.?\s*(?:de\s+)?(?:lecture|leitura|lectura)",  # fr/pt/es
    rf"(?P<n>{D}+)\s*Min\.?\s*Lesezeit",  # de
    rf"Lesezeit:?\s*(?P<n>{D}+)\s*Min\.?",
    rf"(?P<n>{D}+)\s*min(?:uten|uut)?\.?\s*(?:om te lezen|leestijd|lezen)",  # nl
    rf"Minut\s+čtení:?\s*(?P<n>{D}+)",  # cs "Minut čtení: 1"
    rf"(?P<n>{D}+)\s*min(?:ut|uty)?\.?\s*čtení",
    rf"(?P<n>{D}+)\s*min\.?\s*di\s+lettura",  # it
    rf"(?P<n>{D}+)\s*min\.?\s*czytania",  # pl
    rf"(?P<n>{D}+)\s*(?:دقائق|دقيقة|د)\s*(?:قراءة|للقراءة)",  # ar "1 دقائق قراءة"
]
_READ_PATTERNS = [re.compile(rf"^{form}$", re.IGNORECASE) for form in _READ_FORMS]
# Listing cards print only "1 min": accepted only next to a date.
BARE_MINUTES = re.compile(rf"^(?P<n>{D}{{1,3}})\s*min\.?$", re.IGNORECASE)


def read_minutes(text: str, bare: bool = False) -> int | None:
    """Minutes of a whole-line reading time ("2 min read", "Minut čtení: 1"), else None."""
    for pattern in [*_READ_PATTERNS, BARE_MINUTES] if bare else _READ_PATTERNS:
        if m := pattern.match(text):
            return to_int(m.group("n"))
    return None

MONTHS: dict[str, list[str]] = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov",
           "Dec", "January", "February", "March", "April", "June", "July", "August",
           "September", "October", "November", "December"],
    "fr": ["janv", "févr", "mars", "avr", "mai", "juin", "juil", "août", "sept", "oct", "nov",
           "déc", "janvier", "février", "avril", "juillet", "septembre", "octobre", "novembre",
           "décembre"],
    "de": ["Jan", "Feb", "März", "Mär", "Apr", "Mai", "Juni", "Juli", "Aug", "Sept", "Okt",
           "Nov", "Dez", "Januar", "Jänner", "Februar", "April", "August", "September",
           "Oktober", "November", "Dezember"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "sep", "oct", "nov",
           "dic", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"],
    "pt": ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez",
           "janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"],
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
           "januari", "februari", "maart", "april", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"],
    "cs": ["led", "úno", "bře", "dub", "kvě", "čvn", "čvc", "srp", "zář", "říj", "lis", "pro",
           "ledna", "února", "března", "dubna", "května", "června", "července", "srpna", "září",
           "října", "listopadu", "prosince"],
    "it": ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
           "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"],
    "ar": ["يناير", "فبراير", "مارس", "أبريل", "إبريل", "مايو", "يونيو", "يوليو", "أغسطس",
           "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"],
}
_MONTH = rf"(?:{_alt([m for names in MONTHS.values() for m in names])})\.?"
_DAY = rf"{D}{{1,2}}"
_YEAR = rf"{D}{{4}}"
_ABSOLUTE_DATE = "|".join([
    rf"{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?",  # "Jun 4", "Jun 4, 2023"
    # "28 nov.", "17 de dez. de 2018", "2. Okt. 2022"
    rf"{_DAY}\.?\s+(?:de\s+)?{_MONTH}(?:,?\s+(?:de\s+)?{_YEAR})?",
    rf"{_DAY}\.\s?{_DAY}\.\s?{_YEAR}",  # "6. 5. 2021"
    rf"{_DAY}/{_DAY}/{_YEAR}",
    rf"{_YEAR}-{D}{{2}}-{D}{{2}}",
])
# Wix shows "time ago" for recent posts instead of a date.
_UNITS = (r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|secondes?|heures?"
          r"|jours?|semaines?|mois|ans?|années?|Sekunden?|Minuten?|Stunden?|Tag(?:en)?|Wochen?"
          r"|Monat(?:en)?|Jahr(?:en)?|segundos?|minutos?|horas?|días?|dias?|semanas?|mes(?:es)?"
          r"|meses|años?|anos?|seconden|minuten|uur|uren|dag(?:en)?|weken|maanden|jaar|jaren"
          r"|sekund[ay]?|minut[ay]?|hodin[ay]?|dn[yíy]|dnem|týdn[ye]|měsíc[ie]?|let|rok[ey]?"
          r"|ساعات|ساعة|أيام|يوم|دقائق|دقيقة|أسابيع|أسبوع|أشهر|شهر|سنوات|سنة)")
_RELATIVE_DATE = "|".join([
    rf"(?:{D}+|an?|one)\s+{_UNITS}\s+ago",
    rf"il y a\s+(?:{D}+|une?)\s+{_UNITS}",
    rf"vor\s+(?:{D}+|einer?|einem)\s+{_UNITS}",
    rf"hace\s+(?:{D}+|una?)\s+{_UNITS}",
    rf"há\s+(?:{D}+|uma?)\s+{_UNITS}",
    rf"(?:{D}+|een)\s+{_UNITS}\s+geleden",
    rf"před\s+(?:{D}+)\s+{_UNITS}",
    rf"منذ\s+(?:{D}+\s+)?{_UNITS}",
    r"just now|yesterday|à l'instant|hier|gerade eben|gestern|justo ahora|ayer|agora mesmo|ontem"
    r"|zojuist|gisteren|právě teď|včera|الآن|أمس",
])
DATE = re.compile(rf"^(?:{_ABSOLUTE_DATE}|{_RELATIVE_DATE})$", re.IGNORECASE)
UPDATED_LABELS = [
    "Updated", "Last updated", "Dernière mise à jour", "Mis à jour", "Mise à jour",
    "Aktualisiert", "Zuletzt aktualisiert", "Actualizado", "Atualizado", "Atualizada",
    "Bijgewerkt", "Laatst bijgewerkt", "Aktualizováno", "Aggiornato", "Zaktualizowano",
    "تم التحديث", "آخر تحديث", "تاريخ التحديث",
]
# The value must contain a digit or be a relative date: "Updated: Oct 26, 2020", "15 mars".
UPDATED = re.compile(
    rf"^(?:{_alt(UPDATED_LABELS)})\s*[:：]\s*(?P<value>(?=.*{D}).{{1,40}}|{_RELATIVE_DATE})$",
    re.IGNORECASE)
WRITER_LABELS = [
    "Writer", "Author", "Rédacteur", "Rédactrice", "Auteur", "Autrice", "Autor", "Autora",
    "Escritor", "Escritora", "Schrijver", "Scrittore", "Autore", "الكاتب", "كاتب",
    # The avatar's alt text in the locales that name it after its picture.
    "Foto do escritor", "Photo du rédacteur", "Photo de l'auteur", "Foto del escritor",
    "Bild des Autors", "Foto van schrijver", "Fotka autora", "صورة الكاتب",
]
WRITER = re.compile(rf"^(?:{_alt(WRITER_LABELS)})\s*[:：]\s*(?P<name>\S.{{0,60}})$", re.IGNORECASE)
# "By Ann Lee" bylines (element-built and CMS post pages write the word before the name).
# Not German "von" or Italian "di": they also begin surnames ("Von Trapp", "Di Stefano").
BY_WORDS = [
    "By", "Written by", "Posted by", "Par", "Écrit par", "Publié par", "Por", "Escrito por",
    "Publicado por", "Door", "Geschreven door", "Geschrieben von", "Scritto da", "Autor:",
    "Author:", "Auteur :", "Auteur:",
]
_BY = re.compile(rf"^(?:{_alt(BY_WORDS)})\s+(?P<name>\S.*)$", re.IGNORECASE)


def without_by(author: str | None) -> str | None:
    """The name in a "By Ann Lee" byline; any other value as it is."""
    if author and (m := _BY.match(author)):
        return m.group("name")
    return author

# A link to a blog's category, tag or hashtag page (the folder as group 1): the blog sub-menu,
# the post header and footer; a page after the first (`/categories/x/page/2`) is not one.
TAXONOMY_HREF = re.compile(
    r"/(categories|tags|hashtags)/[^/?#\s]+/?(?:\.html?)?(?:[?#]\S*)?$")

# --- Closing chrome: post footer, widgets, site footer. ---
# Exact whole-line comment-widget headings. Never "Comment": it is French for "How" (§6.1).
COMMENTS_HEADINGS = [
    "Comments", "Commentaires", "Comentários", "Comentarios", "Kommentare", "Komentar",
    "Komentáře", "Reacties", "Opmerkingen", "Commenti", "Komentarze", "التعليقات", "تعليقات",
    "תגובות",
]
WRITE_COMMENT = [
    "Write a comment", "Écrire un commentaire", "Écrivez un commentaire", "Kommentar schreiben",
    "Schreib einen Kommentar", "Escribe un comentario", "Escreva um comentário",
    "Escrever um comentário", "Schrijf een reactie", "Schrijf een opmerking", "Napsat komentář",
    "Napište komentář", "Scrivi un commento", "Napisz komentarz", "اكتب تعليقًا", "اكتب تعليقا",
    "כתיבת תגובה",
]
VIEW_WORDS = [
    "view", "views", "vue", "vues", "Aufruf", "Aufrufe", "visualización", "visualizaciones",
    "vista", "vistas", "visualização", "visualizações", "weergave", "weergaven", "zobrazení",
    "visualizzazione", "visualizzazioni", "wyświetlenie", "wyświetlenia", "wyświetleń",
    "مشاهدة", "مشاهدات", "צפייה", "צפיות",
]
COMMENT_WORDS = [
    "comment", "comments", "commentaire", "commentaires", "Kommentar", "Kommentare",
    "comentario", "comentarios", "comentário", "comentários", "opmerking", "opmerkingen",
    "reactie", "reacties", "komentář", "komentáře", "komentářů", "commento", "commenti",
    "komentarz", "komentarze", "komentarzy", "تعليق", "تعليقات", "تعليقًا", "תגובה", "תגובות",
]
LIKE_WORDS = ["like", "likes", "j'aime", "Gefällt mir", "me gusta", "curtida", "curtidas",
              "vind-ik-leuks", "To se mi líbí", "mi piace", "إعجاب", "إعجابات"]
_VIEWS = (rf"(?:{COUNT}\s*(?:{_alt(VIEW_WORDS)})"
          rf"|(?:{_alt(VIEW_WORDS)})(?:\s+واحدة)?\s*\(\s*{COUNT}\s*\))")
_COMMENTS = rf"(?:{COUNT}\s*(?:{_alt(COMMENT_WORDS)}))"
# Korean puts its word before the number and a counter after it: "조회수 12회", "댓글 0개".
_VIEWS_KO = rf"조회수\s*{D}+\s*회"
_COMMENTS_KO = rf"댓글\s*{D}+\s*개"
# "12 views0 comments" (glued), "42 vues 0 commentaire", "مشاهدة واحدة (١)٠ تعليق", "0 comments",
# "조회수 12회댓글 0개".
COUNTERS = re.compile(
    rf"^(?:{_VIEWS}\s*(?:{_COMMENTS})?|{_COMMENTS}|{_VIEWS_KO}\s*(?:{_COMMENTS_KO})?|{_COMMENTS_KO})$",
    re.IGNORECASE)
# The post's own view counter: the cards of "Recent Posts" show their views as a bare number.
VIEWS_COUNTER = re.compile(rf"^(?:{_VIEWS}|{_VIEWS_KO})", re.IGNORECASE)
LIKE_COUNT = re.compile(rf"^{COUNT}\s*(?:{_alt(LIKE_WORDS)})\.?$", re.IGNORECASE)
LIKED = [
    "Post not marked as liked", "Post marked as liked", "Vous n'aimez plus ce post",
    "Vous aimez ce post", "Post nicht als gefällt mir markiert",
    "Beitrag nicht als gefällt mir markiert",
    "Publicación no marcada como me gusta", "Publicación marcada como me gusta",
    "Post não marcado como curtido", "Post marcado como curtido",
    "Post is niet als leuk gemarkeerd",
    "Post is als leuk gemarkeerd", "Příspěvek není označen jako oblíbený",
    "Příspěvek je označen jako oblíbený", "Post non contrassegnato come piaciuto",
    "تم الإعجاب بالمنشور", "لم يتم الإعجاب بالمنشور",
]
SHARE_WORDS = ["Share", "Partager", "Teilen", "Compartir", "Compartilhar", "Partilhar", "Delen",
               "Sdílet", "Condividi", "Udostępnij", "مشاركة"]
# "Share via Facebook", "Partager via X (Twitter)", and the print button.
SHARE_VIA = re.compile(
    rf"^(?:{_alt(SHARE_WORDS)})\s+(?:via|par|über|per|por|pelo|přes|przez|عبر)\s+\S.{{0,30}}$"
    r"|^(?:Print Post|Imprimer le post|Imprimer l'article|Beitrag drucken|Imprimir publicación"
    r"|Imprimir post|Post afdrukken|Vytisknout příspěvek|Stampa post|طباعة المنشور)$",
    re.IGNORECASE)
# A share bar's label ("Share this post:") and its row of network names ("Facebook X LinkedIn",
# "FacebookXLinkedIn" where a tool joins the icons' labels).
SHARE_LABELS = [
    *SHARE_WORDS, "Share this post", "Share this article", "Share Post", "Share this",
    "Partager cet article", "Partager ce post", "Partager la publication", "Diesen Beitrag teilen",
    "Beitrag teilen", "Compartir esta publicación", "Compartir este post", "Compartilhar este post",
    "Compartilhar esta publicação", "Deel dit bericht", "Condividi questo post",
]
_NETWORKS = (r"Facebook|X|Twitter|LinkedIn|Pinterest|WhatsApp|Telegram|Reddit|Tumblr|"
             r"Messenger|E-?mail|Email|Link|Copy link|Copier le lien|Link kopieren")
# The site footer's social links by name ("Facebook", "Instagram YouTube"), read upwards from
# the end of the page only.
SOCIAL_LINKS = re.compile(
    rf"^(?:(?:{_NETWORKS}|Instagram|YouTube|TikTok|Vimeo|Flickr|Spotify|SoundCloud|Behance|"
    r"Dribbble|Snapchat|Threads|Bluesky|Mastodon)\s*){1,8}$", re.IGNORECASE)
SHARE_BAR = re.compile(
    rf"^(?:(?:{_alt(SHARE_LABELS)})\s*:?|(?:(?:{_NETWORKS})\s*){{2,8}})$", re.IGNORECASE)
SHARE_NETWORKS = re.compile(rf"^(?:(?:{_NETWORKS})\s*){{2,8}}$", re.IGNORECASE)
# A share bar's buttons one a line, as a content-only copy gives them: a network's name ("X",
# "X (Twitter)"), the copy-link button and the toast it leaves ("Link copied").
SHARE_BUTTON = re.compile(rf"^(?:{_NETWORKS})(?:\s*\((?:{_NETWORKS})\))?$", re.IGNORECASE)
SHARE_LINK_COPIED = re.compile(
    r"^(?:Link copied|Copy link|Share link|Lien copié|Link kopiert|Enlace copiado|Copiar enlace"
    r"|Link copiado|Copiar link|Link gekopieerd|Link kopiëren|Link copiato|Copia link)[.!]?$",
    re.IGNORECASE)
RECENT_POSTS = [
    "Recent Posts", "Related Posts", "Posts récents", "Articles récents", "Publications récentes",
    "Articles similaires", "Posts similaires", "Aktuelle Beiträge", "Ähnliche Beiträge",
    "Neueste Beiträge", "Entradas recientes", "Publicaciones recientes", "Entradas relacionadas",
    "Posts recentes", "Publicações recentes", "Posts relacionados", "Recente blogposts",
    "Recente berichten", "Gerelateerde berichten", "Nejnovější příspěvky",
    "Související příspěvky", "Post recenti", "Articoli recenti", "Najnowsze posty",
    "أحدث منشورات", "أحدث المنشورات", "منشورات ذات صلة", "최근 게시물", "פוסטים אחרונים",
    "פוסטים קשורים",
]
SEE_ALL = [
    "See All", "Voir tout", "Tout afficher", "Tout voir", "Alle ansehen", "Alle anzeigen",
    "Ver todo", "Ver todos", "Ver tudo", "Alles weergeven", "Alles bekijken", "Zobrazit vše",
    "Vedi tutti", "Mostra tutto", "Zobacz wszystkie", "عرض الكل", "전체 보기", "הצגת הכול",
    "הצג הכל",
]
TAGS_LABELS = ["Tags", "Tag", "Étiquettes", "Mots-clés", "Mots clés", "Schlagwörter", "Etiquetas",
               "Štítky", "Tagi", "الوسوم", "العلامات", "תגיות"]
TAGS_LABEL = re.compile(rf"^(?:{_alt(TAGS_LABELS)})\s*[:：]$", re.IGNORECASE)
# Footer credit lines: the Wix template's "© 2035 by …. Proudly created with Wix.com", any line that
# opens with a copyright sign, or the bare Wix credit (never a sentence that merely mentions Wix).
COPYRIGHT = re.compile(
    r"^(?:©|\(c\)\s*\d{4}|copyright\s*©).{0,200}$"
    r"|^(?:proudly\s+)?(?:created|made|powered|designed)\s+(?:with|using|by)\s+(?:the\s+)?"
    r"wix(?:\.com)?\.?$"
    r"|^(?:fièrement\s+|stolz\s+|orgullosamente\s+|orgulhosamente\s+|trots\s+)?"
    r"(?:créé avec|erstellt mit|creado con|criado com|gemaakt met|vytvořeno pomocí|creato con)"
    r"\s+(?:le\s+|o\s+)?wix(?:\.com)?\.?$",
    re.IGNORECASE)
# Wix free-plan banner and the default cookie banner, with their buttons. A banner is a few
# hundred characters at most: a longer line that opens with its words is the banner with the
# page run on after it (a tool that writes the whole page on one line), never removed whole.
MAX_BANNER_CHARS = 400
BANNERS = re.compile(
    rf"^(?=.{{0,{MAX_BANNER_CHARS}}}$)(?:"
    r"^This (?:site|website) was (?:designed|built|created) with the (?:Wix\.com|\.com) website"
    r" builder\..*$"
    # The same banner as html-text splits it around the Wix logo.
    r"|^This (?:site|website) was (?:designed|built|created) with the$|^(?:Wix)?\.com$"
    r"|^website builder\. Create your website today\.(?: Start Now)?$"
    r"|^Este sitio (?:web )?fue (?:creado|diseñado) con .*Wix.*$"
    r"|^Ce site a été (?:créé|conçu) (?:avec|sur) .*Wix.*$"
    r"|^This (?:site|website) uses cookies\..*$"
    r"|^We use cookies on our website to see how you interact with it\..*$"
    r"|^(?:This|Este|Ce|Diese|Deze|Tento) (?:site|website|sitio|site web|Website|web)(?: web)?"
    r" (?:uses|usa|utiliza|utilise|verwendet|gebruikt|používá) (?:des |soubory )?cookies?\b.*$"
    r"|^Nous utilisons des cookies.*$|^Wir verwenden Cookies.*$|^Utilizamos cookies.*$"
    r"|^Usamos cookies.*$|^Wij gebruiken cookies.*$|^Používáme soubory cookie.*$)",
    re.IGNORECASE)
BANNER_BUTTONS = ["Start Now", "Accept", "Accept All", "Allow All", "Decline", "Decline All",
                  "Reject all", "Settings",
                  "Privacy Policy", "Accepter", "Refuser", "Paramètres", "Akzeptieren",
                  "Ablehnen", "Einstellungen", "Aceptar", "Rechazar", "Configuración", "Aceitar",
                  "Recusar", "Configurações", "Accepteren", "Weigeren", "Instellingen", "Přijmout",
                  "Odmítnout", "Nastavení", "قبول", "رفض", "الإعدادات"]
SOCIAL_ICON = re.compile(r"^.{1,40}\s+Social Icon$", re.IGNORECASE)
IMAGE_FILE = re.compile(r"^[^\s/][^/]{0,120}\.(?:jpe?g|png|gif|webp|avif|svg|heic|tiff?)$",
                        re.IGNORECASE)
# A line made only of markdown images ("![logo.png](https://static.wixstatic.com/media/…)").
MARKDOWN_IMAGES = re.compile(r"^(?:\s*!\[(?:[^\[\]]|\[[^\]]*\])*\]\([^)\s]*\))+\s*$")
# Headings of a blog home page that shows its posts inline (§3.5 #19).
BLOG_INDEX_HEADINGS = [
    "Blog", "The Blog", "Our Blog", "My Blog", "Le blog", "Mon blog", "Notre blog", "Blogue",
    "Das Blog", "Unser Blog", "El blog", "Nuestro blog", "O blog", "Nosso blog", "Onze blog",
    "Actualités", "News", "Aktuelles", "Neuigkeiten", "Noticias", "Notícias", "Nieuws",
    "Novinky", "Articles", "Artikel", "Artículos", "Artigos", "المدونة",
]

# An audio player's elapsed time and length ("0:00 / 3:35", plugin-audio's AudioDuration).
_PLAYER_TIMES = r"^\d{1,2}(?::\d{2}){1,2}\s*/\s*\d{1,2}(?::\d{2}){1,2}$"


def _exact(words: list[str]) -> re.Pattern[str]:
    """Whole-line match of any of `words`, tolerant of spacing around "/" and a final "..."."""
    alts = "|".join(
        re.escape(w).replace(r"\ /\ ", r"\s*/\s*").replace("/", r"\s*/\s*")
        for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"^(?:{alts})\s*(?:\.\.\.|…)?$", re.IGNORECASE)


SKIP_LINK_LINE = _exact(SKIP_LINKS)
MENU_A11Y_LINE = _exact(MENU_A11Y)
SEARCH_LINE = _exact(SEARCH)
LOGIN_LINE = _exact(LOGIN)
ALL_POSTS_LINE = _exact(ALL_POSTS)
MORE_MENU_LINE = _exact(MORE_MENU)
# The post's star rating under its header, as the ratings widget reads it out ("Rated 4.5 out of
# 5 stars.", "Rated NaN out of 5 stars." before anyone rated the post).
_RATING = r"^Rated\s+(?:NaN|\d(?:[.,]\d+)?)\s+out\s+of\s+5\s+stars\.?$"
HEADER_WIDGET_LINE = re.compile(f"{_exact(HEADER_WIDGETS).pattern}|{_RATING}", re.IGNORECASE)
COMMENTS_HEADING = _exact(COMMENTS_HEADINGS)
WRITE_COMMENT_LINE = _exact(WRITE_COMMENT)
LIKED_LINE = _exact(LIKED)
RECENT_POSTS_LINE = _exact(RECENT_POSTS)
SEE_ALL_LINE = _exact(SEE_ALL)
# One button, or the cookie banner's buttons on one line ("Settings Decline All Accept",
# "SettingsDecline AllAccept" where a tool joins them).
BANNER_BUTTON_LINE = re.compile(rf"^(?:(?:{_alt(BANNER_BUTTONS)})\s*){{1,4}}$", re.IGNORECASE)
BLOG_INDEX_LINE = _exact(BLOG_INDEX_HEADINGS)
# The words Ricos's viewer adds to a post's blocks (crawler/clean/ricos.py): one of them, or a
# cover's two run together where a tool joins the cover's lines ("This image
# contains a spoilerReveal Image").
RICOS_BLOCK_LINE = re.compile(
    rf"^(?:(?:{_alt([*RICOS_NOTES, *RICOS_BUTTONS])})\s*){{1,3}}$"
    rf"|{_PLAYER_TIMES}", re.IGNORECASE)
# Headings of a site's standing pages. Only a page with no sign of a post (no byline, date or
# reading time) is called static for its heading: a post may well be titled "FAQ".
# An FAQ heading over questions says what the page is on its own; "About Me" or "Contact" does so
# only on a page that kept its site chrome, since a chrome-free post may be titled "About Me".
FAQ_HEADINGS = [
    "FAQ", "FAQs", "Frequently Asked Questions", "Questions fréquentes", "Foire aux questions",
    "Häufige Fragen", "Häufig gestellte Fragen", "Preguntas frecuentes", "Perguntas frequentes",
    "Veelgestelde vragen", "Často kladené otázky", "Domande frequenti", "الأسئلة الشائعة",
]
SITE_PAGE_HEADINGS = [
    "About", "About Us", "About Me", "Contact", "Contact Us", "Services", "Our Services",
    "Pricing", "Prices", "Rates", "À propos", "Qui suis-je ?", "Tarifs", "Über uns", "Über mich",
    "Kontakt", "Preise", "Sobre nosotros", "Sobre mí", "Contacto", "Precios", "Sobre nós",
    "Sobre mim", "Contato", "Preços", "Over ons", "Over mij", "Tarieven", "O nás", "O mně",
    "Ceník", "من نحن", "اتصل بنا",
]
FAQ_LINE = _exact(FAQ_HEADINGS)
SITE_PAGE_LINE = _exact(SITE_PAGE_HEADINGS)
# How a site header's call-to-action button opens, the words a site owner writes on it: a verb
# with its object asking the visitor to book, reach or pay ("Book a free consultation today",
# "Réservez votre séance"); "Book" alone opens titles too ("Book review: …"). The site headers
# of five of the 17 sites in the real Chromium copies hold an imperative line ("Book Online",
# "CONTACT US"); two of 140 real post titles open on one. A line's opening words only.
CALL_TO_ACTION_OPENERS = [
    "Book a", "Book an", "Book your", "Book now", "Book online", "Schedule a", "Schedule an",
    "Schedule your", "Reserve a", "Reserve an", "Reserve your", "Request a", "Request an",
    "Request your", "Contact us", "Contact me", "Contact our", "Call us", "Call me", "Call now",
    "Email us", "Email me", "Message us", "Message me", "Subscribe to", "Subscribe now",
    "Register now", "Register here", "Sign up", "Donate now", "Donate to", "Order now",
    "Order online", "Order your", "Hire me", "Hire us", "Claim your", "Get a", "Get an",
    "Get in touch", "Get started", "Get your free", "Let's talk", "Let’s talk", "Talk to",
    "Work with me", "Work with us",
    "Réservez", "Prenez rendez-vous", "Prendre rendez-vous", "Contactez", "Appelez",
    "Demandez", "Commandez", "Inscrivez-vous", "Abonnez-vous", "Faites un don", "Buchen Sie",
    "Kontaktieren Sie", "Rufen Sie", "Bestellen Sie", "Vereinbaren Sie", "Reserva tu",
    "Reserva una", "Reserva ya", "Agende", "Agendar", "Contáctanos", "Contáctenos", "Llámanos",
    "Solicita", "Solicite", "Pide tu", "Suscríbete", "Inscríbete", "Marque sua", "Fale conosco",
    "Ligue", "Inscreva-se", "Prenota", "Contattaci", "Richiedi", "Iscriviti", "Boek een",
    "Boek je", "Boek nu", "Maak een afspraak", "Neem contact", "Objednejte", "Rezervujte",
    "Kontaktujte",
]
CALL_TO_ACTION = re.compile(rf"^(?:{_alt(CALL_TO_ACTION_OPENERS)})(?:\s|$)", re.IGNORECASE)


def is_leading_chrome(text: str) -> bool:
    """Site header / blog sub-header lines that can open a page before its title."""
    return any(p.match(text) for p in (
        TOP_OF_PAGE, SKIP_LINK_LINE, MENU_A11Y_LINE, SEARCH_LINE, LOGIN_LINE, ALL_POSTS_LINE,
        HEADER_WIDGET_LINE, BANNERS, MARKDOWN_IMAGES))


def is_closing_anchor(text: str) -> bool:
    """Post-footer widgets no body holds as a whole line: they open the closing region."""
    return any(p.match(text) for p in (
        COUNTERS, LIKED_LINE, SHARE_VIA, WRITE_COMMENT_LINE, TAGS_LABEL))


def is_closing_chrome(text: str) -> bool:
    """Lines that are chrome when they trail the body (read from the end of the page upwards)."""
    return any(p.match(text) for p in (
        BOTTOM_OF_PAGE, COMMENTS_HEADING, WRITE_COMMENT_LINE, COUNTERS, LIKE_COUNT, LIKED_LINE,
        SHARE_VIA, SHARE_BAR, RECENT_POSTS_LINE, SEE_ALL_LINE, COPYRIGHT, SOCIAL_ICON, SOCIAL_LINKS,
        IMAGE_FILE, BANNERS, BANNER_BUTTON_LINE, LOGIN_LINE, MARKDOWN_IMAGES))
