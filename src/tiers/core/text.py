"""Text helpers shared by search and imports."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text: "Médiathèque  Œuvre" -> "mediatheque oeuvre".

    Stored beside searchable rows so that a search for "mediatheque" finds "Médiathèque" the
    same way on SQLite and PostgreSQL, without a database extension.
    """
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()
