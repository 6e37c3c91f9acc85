"""FTS5 syntax with Chinese, Japanese or Korean words in it, run on the right index per word.

A CJK word is found inside unspaced text only in posts_cjk (archive/search/bigrams.py), and any
other word only in the main index (or, written against CJK text, in posts_cjk too). A query in
FTS5 syntax (`東京 OR 京都`, `title:京都 NOT 紅葉`, `iPhone OR アイフォン`) is read here into its
tree of AND, OR and NOT over terms (with column filters, on a term or a group,
`title:(東京 OR tokyo)`; `*` and `^`; NEAR groups of CJK words):

- all its terms CJK words: the same expression on the bigrams, one posts_cjk MATCH, ranked by
  its bm25 (`Query.cjk_match`);
- CJK words and others: each term is looked up in its index and the tree becomes SQL over the
  post ids (`Query.condition`), ranked by the two indexes' bm25 of the terms it asks for.

Syntax this does not read (`+`, NEAR over other words, a stray parenthesis), or a query of over
MAX_PARTS parts or MAX_DEPTH nested parentheses, gives None: the main index then runs the query
as it always did, where a CJK word matches only a whole run.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from archive.schema import CJK_TABLE, FTS_COLUMNS, FTS_TABLE, IN_UNMARKED, UNMARKED_TABLE
from archive.search.bigrams import CJK_RUN, TOKEN, normalize, run_query
from archive.search.cjk import holding_word
from archive.search.marks import SCRIPT
from archive.search.query import NFKC_FUNCTION, Filter, posts_join, row_conditions

# An FTS5 query's parts: "strings" ("" inside is a quote), the syntax's single characters, and
# barewords (operators, column names, terms); spaces only separate them.
FTS_PART = re.compile(r'"(?:[^"]|"")*"?|[(){}:*^+,-]|[^\s"(){}:*^+,-]+')
# Parts that are syntax, never a word (a lone " is an unterminated string).
SYNTAX_CHARACTERS = frozenset('(){}:*^+,-"')
_BINARY = ("OR", "AND", "NOT")
# Parts read at most: the tree is walked recursively, a level a term or parenthesis, and no
# query anyone types has this many (a longer one runs on the main index). Parentheses nested
# deeper than MAX_DEPTH too: each level is nine calls of the parser, and 110 levels (widened:
# `(((… strasse)))`) ran into Python's recursion limit, a traceback.
MAX_PARTS = 256
MAX_DEPTH = 64
# The main index's columns as posts_cjk holds them: the title's bigrams apart, the rest together.
_CJK_COLUMN = {column: "cjk_title" if column == "title" else "cjk" for column in FTS_COLUMNS}


# The FTS columns a term is searched in: None for all of them, () for none (`title:(body:x)`,
# which FTS5 reads as matching no post).
Columns = tuple[str, ...] | None


def _filters(columns: Columns) -> tuple[str, str, tuple[str, ...]]:
    """`columns` as the main index's column filter, posts_cjk's, and the fields a CJK word must
    be checked in (those chosen, when posts_cjk holds them with others: `tags:東京`)."""
    if columns is None:
        return "", "", ()
    held_together = [c for c in FTS_COLUMNS if _CJK_COLUMN[c] == "cjk"]
    partly = not set(held_together) <= set(columns)
    return ("{" + " ".join(columns) + "}: ",
            "{" + " ".join(dict.fromkeys(_CJK_COLUMN[c] for c in columns)) + "}: ",
            columns if partly else ())


class Unsupported(Exception):
    """Syntax this module does not translate: the main index answers the query."""


@dataclass(frozen=True)
class Term:
    """A word (or phrase) with its column filter: CJK words are MATCHed in posts_cjk; other
    words in the main index (`main`) and, written against CJK text, in posts_cjk (`cjk`)."""

    cjk: str  # the posts_cjk MATCH expression
    main: str | None = None  # the main index's, for a word that is not CJK
    runs: tuple[str, ...] = ()
    # The fields (posts columns) the runs must be in, when the column filter names some of
    # those posts_cjk holds together (tags:東京): its match there is checked on the post.
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Node:
    operator: str  # AND, OR, NOT (left NOT right)
    left: Node | Term
    right: Node | Term


Tree = Node | Term


class _Nothing:
    """A part FTS5 reads as matching no post (`東京 AND ""`, `"" NOT 東京`), where a bare empty
    phrase (None) written beside words is left out of them."""


NOTHING = _Nothing()
# What a part of the query reads as: a tree, a bare empty phrase (None), or nothing.
Part = Tree | _Nothing | None


@dataclass(frozen=True)
class Query:
    tree: Tree

    def terms(self, tree: Tree | None = None, positive: bool = True) -> list[tuple[Term, bool]]:
        """Every term, with whether the query asks for it (not under the right of a NOT)."""
        tree = self.tree if tree is None else tree
        if isinstance(tree, Term):
            return [(tree, positive)]
        return self.terms(tree.left, positive) + self.terms(
            tree.right, positive and tree.operator != "NOT")

    @property
    def runs(self) -> list[str]:
        """The CJK runs the query asks for (what a snippet marks)."""
        return [run for term, asked in self.terms() if asked for run in term.runs]

    @property
    def cjk_match(self) -> str | None:
        """The whole query as one posts_cjk MATCH expression, when its terms are all CJK."""
        if any(term.main is not None or term.fields for term, _ in self.terms()):
            return None
        return _expression(self.tree)

    @property
    def main_words(self) -> list[str]:
        """The main index's MATCH expressions of its terms that are not CJK words."""
        return [term.main for term, _ in self.terms() if term.main is not None]

    def condition(self, post_id: str, marked: bool = False) -> tuple[str, list[str]]:
        """The query as an SQL condition on `post_id`, each term in its index, and its
        parameters. `marked`: the archive holds vowel marks, and a Hebrew or Arabic term is
        looked up in posts_unmarked too (archive/search/marks.py)."""
        return _condition(self.tree, post_id, marked)

    def rankers(self, marked: bool = False) -> list[tuple[str, str, str]]:
        """(index, MATCH expression, condition on its rowid) whose bm25 ranks the posts: the
        terms asked for, any of them, in each index they are looked up in. `marked`: the words
        that are not CJK ranked in posts_unmarked for the posts it holds (their words without
        marks) and in the main index for the others, as archive/search/unmarked.py ranks them,
        so that no post is ranked by both."""
        asked = [term for term, yes in self.terms() if yes]
        main = " OR ".join(f"({term.main})" for term in asked if term.main is not None)
        cjk = " OR ".join(f"({term.cjk})" for term in asked)
        if not main:
            return [(CJK_TABLE, cjk, "")]
        if not marked:
            return [(FTS_TABLE, main, ""), (CJK_TABLE, cjk, "")]
        return [(FTS_TABLE, main, f" AND rowid NOT IN (SELECT id FROM posts WHERE {IN_UNMARKED})"),
                (UNMARKED_TABLE, main, ""), (CJK_TABLE, cjk, "")]


def parse(text: str, widened: bool = False) -> Query | None:
    """The query's tree when it names a CJK word and uses only syntax read here, else None.
    `widened`: `text` is a query read here with its words widened to their other spellings
    (casefold.widen_syntax: `strasse` -> `("strasse" OR "straße")`), whose parts are not
    counted (the query typed was), and whose groups of spellings nest two deeper (a group, and
    the parentheses around words side by side beside one)."""
    parts = FTS_PART.findall(text)
    if len(parts) > MAX_PARTS and not widened:
        return None
    try:
        tree = _Parser(parts, MAX_DEPTH + 2 * widened).query()
    except Unsupported:
        return None
    if tree is None or tree is NOTHING:  # FTS5 finds no post: the main index says so
        return None
    assert isinstance(tree, Node | Term)
    query = Query(tree)
    return query if any(term.runs for term, _ in query.terms()) else None


def _joined(operator: str, left: Part, right: Part) -> Part:
    """`left operator right` as FTS5 reads an empty phrase (`""`, None) in it: written beside
    words (operator "") it is left out, `"" 東京` is 東京; otherwise it matches no post, so
    `"" OR 東京` is 東京, `東京 NOT ""` 東京, and `東京 AND ""` and `"" NOT 東京` nothing."""
    if operator == "":
        if left is None or right is None:
            return right if left is None else left
        operator = "AND"
    left_empty, right_empty = left is None or left is NOTHING, right is None or right is NOTHING
    if operator == "OR" and (left_empty or right_empty):
        return NOTHING if left_empty and right_empty else right if left_empty else left
    if left_empty or (right_empty and operator == "AND"):
        return NOTHING
    if right_empty:  # NOT nothing
        return left
    assert isinstance(left, Node | Term) and isinstance(right, Node | Term)
    return Node(operator, left, right)


def _operands(tree: Node) -> list[Tree]:
    """A chain of one operator (`a AND b AND c`, parsed left-deep) as its operands, so that
    neither expression nests a level a term (SQLite's parser stops at ~100 levels)."""
    operands = [tree.right]
    while isinstance(tree.left, Node) and tree.left.operator == tree.operator:
        tree = tree.left
        operands.append(tree.right)
    operands.append(tree.left)
    return operands[::-1]


def _expression(tree: Tree) -> str:
    if isinstance(tree, Term):
        return tree.cjk
    return "(" + f" {tree.operator} ".join(map(_expression, _operands(tree))) + ")"


def _condition(tree: Tree, post_id: str, marked: bool) -> tuple[str, list[str]]:
    if isinstance(tree, Term):
        if tree.main is None:
            found = f"{post_id} IN (SELECT rowid FROM {CJK_TABLE} WHERE {CJK_TABLE} MATCH ?)"
            if not tree.fields:
                return found, [tree.cjk]
            # In one of the fields: their text, as the bigrams were made of it (NFKC).
            held = " AND ".join("(" + " OR ".join(
                f"instr({NFKC_FUNCTION}(f.{field}), ?)" for field in tree.fields) + ")"
                for _ in tree.runs)
            return (f"({found} AND EXISTS (SELECT 1 FROM posts f WHERE f.id = {post_id} "
                    f"AND {held}))", [tree.cjk, *(run for run in tree.runs
                                                  for _ in tree.fields)])
        if marked and SCRIPT.search(tree.main):
            return holding_word(post_id, unmarked="?"), [tree.main, tree.cjk, tree.main]
        return holding_word(post_id), [tree.main, tree.cjk]
    parts = [_condition(operand, post_id, marked) for operand in _operands(tree)]
    joined = {"AND": " AND ", "OR": " OR ", "NOT": " AND NOT "}[tree.operator]
    return "(" + joined.join(sql for sql, _ in parts) + ")", [p for _, ps in parts for p in ps]


def _column_name(part: str) -> str:
    """A part as the column it names before a colon: FTS5 reads the name in any case, bare or
    quoted (`"title":東京`, `{"title" body}:東京`, as `title:東京`)."""
    if len(part) > 1 and part.startswith('"') and part.endswith('"'):
        part = part[1:-1].replace('""', '"')
    return part.lower()


class _Parser:
    """Recursive descent over FTS5's precedence: words side by side bind tighter than NOT, NOT
    than AND, AND than OR."""

    def __init__(self, parts: list[str], deepest: int = MAX_DEPTH) -> None:
        self.parts = parts
        self.deepest = deepest  # groups open at most
        self.at = 0
        self.columns: Columns = None  # those of the group being read (`title:(…)`)
        self.depth = 0  # groups open

    def peek(self, ahead: int = 0) -> str | None:
        at = self.at + ahead
        return self.parts[at] if at < len(self.parts) else None

    def take(self) -> str:
        part = self.peek()
        if part is None:
            raise Unsupported("the query ends too early")
        self.at += 1
        return part

    def query(self) -> Part:
        tree = self.any_of()
        if self.peek() is not None:
            raise Unsupported(f"unexpected {self.peek()!r}")
        return tree

    def chain(self, operator: str, operand: Callable[[], Part]) -> Part:
        tree = operand()
        while self.peek() == operator:
            self.take()
            tree = _joined(operator, tree, operand())
        return tree

    def any_of(self) -> Part:
        return self.chain("OR", self.all_of)

    def all_of(self) -> Part:
        return self.chain("AND", self.but_not)

    def but_not(self) -> Part:
        return self.chain("NOT", self.side_by_side)

    def side_by_side(self) -> Part:
        """Words written one after the other, which FTS5 binds tighter than any operator
        (`a NOT b c` is `a NOT (b c)`)."""
        tree = self.primary()
        while self.peek() not in (None, ")", *_BINARY):
            tree = _joined("", tree, self.primary())
        return tree

    def primary(self) -> Part:
        if self.peek() == "(":
            return self.group(self.columns)
        columns = self.column_filter()
        if self.peek() == "(":  # `title:(…)`: the group's words in those columns
            return self.group(columns)
        if self.peek() == "NEAR" and self.peek(1) == "(":
            return self.near(columns)
        initial = self.peek() == "^"
        if initial:
            self.take()
        return self.term(self.take(), columns, initial)

    def group(self, columns: Columns) -> Part:
        """A parenthesised expression, its terms in `columns`."""
        self.take()
        outer, self.columns = self.columns, columns
        self.depth += 1
        if self.depth > self.deepest:
            raise Unsupported("parentheses nested too deep")
        tree = self.any_of()
        self.columns, self.depth = outer, self.depth - 1
        if self.take() != ")":
            raise Unsupported("unclosed parenthesis")
        return tree

    def column_filter(self) -> Columns:
        """The columns of a `title:`, `{title body}:` or `-{…}:` filter, those of the group it is
        in (FTS5 reads a filter inside a filtered group as both: `{title body}:(body:x)` is
        body:x); without one, the group's."""
        negated = self.peek() == "-"
        start = self.at + negated
        if self.peek(negated) == "{":
            end = self.parts.index("}", start) if "}" in self.parts[start:start + 8] else -1
            names = self.parts[start + 1:end]
            after = end + 1
        elif _column_name(self.peek(negated) or "") in _CJK_COLUMN:
            names, after = [self.parts[start]], start + 1
        else:
            if negated:
                raise Unsupported("'-' before no column filter")
            return self.columns
        names = [_column_name(name) for name in names]
        if not names or after >= len(self.parts) or self.parts[after] != ":" \
                or any(name not in _CJK_COLUMN for name in names):
            if negated or self.peek(negated) == "{":
                raise Unsupported("not a column filter")
            return self.columns  # a word that happens to be a column's name
        self.at = after + 1
        within = FTS_COLUMNS if self.columns is None else self.columns
        return tuple(c for c in within if (c in names) != negated)

    def near(self, columns: Columns) -> Part:
        """NEAR(…) of CJK words: a group of their phrases, kept as it is on the bigrams."""
        self.take(), self.take()
        phrases: list[Part] = []
        distance = ""
        while self.peek() not in (")", None):
            if self.peek() == ",":
                self.take()
                distance = ", " + self.take()
                if not distance[2:].isdigit():
                    raise Unsupported("NEAR's distance is not a number")
                continue
            phrases.append(self.term(self.take(), None, False))
        self.take()
        # A word of CJK and other letters (東京abc) is two terms joined by AND, a Node; an
        # empty phrase is left out, as FTS5 leaves it out.
        words = [p for p in phrases if p is not None]
        terms = [p for p in words if isinstance(p, Term) and p.main is None
                 and len(p.runs) == 1]
        if not terms or len(terms) < len(words):
            raise Unsupported("NEAR over words that are not one CJK run each")
        if columns == ():
            return NOTHING
        group = "NEAR(" + " ".join(p.cjk for p in terms) + distance + ")"
        _, cjk_filter, fields = _filters(columns)
        return Term(cjk_filter + group, runs=tuple(run for p in terms for run in p.runs),
                    fields=fields)

    def term(self, part: str, columns: Columns, initial: bool) -> Part:
        """One word or "phrase" (and its `*`) in `columns`: its CJK runs and its other words,
        each a term; None for a phrase with no word in it (`""`), which FTS5 reads as `_joined`
        says; NOTHING in no column (`title:(body:x)`)."""
        if part in _BINARY or part == "NEAR" or part in SYNTAX_CHARACTERS:
            raise Unsupported(f"{part!r} where a word belongs")
        prefix = self.peek() == "*"
        if prefix:
            self.take()
        quoted = part.startswith('"')
        word = normalize(part[1:].removesuffix('"').replace('""', '"') if quoted else part)
        runs = CJK_RUN.findall(word)
        others = TOKEN.findall(CJK_RUN.sub(" ", word))
        if not runs and not others:
            return None
        if columns == ():
            return NOTHING
        main_filter, cjk_filter, fields = _filters(columns)
        caret = "^" if initial else ""
        terms: list[Term] = [Term(cjk_filter + caret + run_query(run), runs=(run,), fields=fields)
                             for run in runs]
        if others:  # the other words, as one phrase (a prefix query with the "*")
            phrase = '"' + " ".join(others) + '"' + (" *" if prefix else "")
            terms.append(Term(cjk_filter + caret + phrase, main_filter + caret + phrase))
        tree: Tree = terms[0]
        for more in terms[1:]:
            tree = Node("AND", tree, more)
        return tree


def top_mixed(conn: sqlite3.Connection, query: Query, filters: Sequence[Filter], limit: int,
              offset: int, marked: bool = False) -> list[tuple[int, float]]:
    """(post id, rank) of the best posts matching an FTS5 query of CJK words and others, each
    term in its index. The candidates are the posts holding any term the query asks for, in
    either index; the rank is the sum of their bm25 ranks there. `marked`: a Hebrew or Arabic
    word in an archive holding vowel marks, read in posts_unmarked too."""
    rankers = query.rankers(marked)
    candidates = " UNION ALL ".join(
        f"SELECT rowid AS id, rank FROM {table} WHERE {table} MATCH ?{own}"
        for table, _, own in rankers)
    condition, condition_params = query.condition("m.id", marked)
    where, params = row_conditions(filters, "m.id")
    sql = (f"SELECT m.id, sum(m.rank) AS score FROM ({candidates}) m"
           + posts_join(filters, "m.id") + f" WHERE {condition}"
           + "".join(f" AND {clause}" for clause in where)
           + " GROUP BY m.id ORDER BY score, m.id LIMIT ? OFFSET ?")
    return [tuple(row) for row in conn.execute(
        sql, [*(match for _, match, _ in rankers), *condition_params, *params, limit, offset])]
