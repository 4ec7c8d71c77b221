"""Parse the keyword box into one query with the same meaning on PostgreSQL and SQLite.

The syntax is the familiar web one: words are all required, "a phrase" in quotes, OR between
alternatives, and -word or -"a phrase" to exclude. Anything else is punctuation and ignored.
"""

import re
import unicodedata
from dataclasses import dataclass, field

MAX_TERMS = 32
# Letters and digits only: both engines split words on everything else.
WORD = re.compile(r"[^\W_]+")
TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# Function words that PostgreSQL's English configuration drops; dropping them here too keeps a
# bare "the" from meaning "everything" on SQLite and "nothing" on PostgreSQL.
STOPWORDS = frozenset(
    """a an and are as at be but by for from had has have he her his i if in into is it its
    me my no not of on or our she so than that the their them then there these they this to
    was we were what when which who will with you your""".split()
)


@dataclass(frozen=True)
class Clause:
    """Alternatives of which one must match (or, when negated, none may)."""

    terms: tuple[tuple[str, ...], ...]
    negated: bool = False


@dataclass
class KeywordQuery:
    clauses: list[Clause] = field(default_factory=list)

    @property
    def positive(self) -> list[Clause]:
        return [clause for clause in self.clauses if not clause.negated]

    @property
    def negative(self) -> list[Clause]:
        return [clause for clause in self.clauses if clause.negated]

    def __bool__(self):
        return bool(self.clauses)

    def as_websearch(self) -> str:
        """The query in websearch_to_tsquery syntax, rebuilt from clean words only."""
        parts = []
        for clause in self.clauses:
            terms = " or ".join(_websearch_term(term) for term in clause.terms)
            parts.append(f"-{terms}" if clause.negated else terms)
        return " ".join(parts)

    def positive_websearch(self) -> str:
        """The required clauses alone in websearch_to_tsquery syntax (for the title tier)."""
        return KeywordQuery(self.positive).as_websearch()

    def fts5_positive(self) -> str:
        """The FTS5 MATCH expression the required clauses make, or "" when there are none."""
        return " AND ".join(
            "(" + " OR ".join(_fts5_term(term) for term in clause.terms) + ")"
            for clause in self.positive
        )

    def fts5_negative(self) -> str:
        """An FTS5 expression matching any excluded term, or "" when nothing is excluded."""
        return " OR ".join(_fts5_term(term) for clause in self.negative for term in clause.terms)


def _websearch_term(term: tuple[str, ...]) -> str:
    return f'"{" ".join(term)}"' if len(term) > 1 else term[0]


def _fts5_term(term: tuple[str, ...]) -> str:
    # The words hold letters and digits only, so quoting cannot be broken out of.
    return '"' + " ".join(term) + '"'


def parse_keywords(text: str) -> KeywordQuery:
    """Parse the keyword box; words without search value (stopwords, punctuation) drop out."""
    text = unicodedata.normalize("NFC", text)
    query = KeywordQuery()
    pending_or = False
    for match in TOKEN.finditer(text):
        negated, quoted, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare is not None:
            if bare.upper() == "OR":
                pending_or = bool(query.clauses) and not query.clauses[-1].negated
                continue
            negated = bare.startswith("-")
            words = tuple(word.lower() for word in WORD.findall(bare))
            if len(words) == 1 and words[0] in STOPWORDS:
                continue
        else:
            words = tuple(word.lower() for word in WORD.findall(quoted))
        if not words:
            continue
        if pending_or and not negated:
            last = query.clauses.pop()
            query.clauses.append(Clause(last.terms + (words,)))
        else:
            query.clauses.append(Clause((words,), negated))
        pending_or = False
        if sum(len(clause.terms) for clause in query.clauses) >= MAX_TERMS:
            break
    return query
