"""The French catalogue is complete, well formed, compiled and up to date with the code,
and the pages speak French by default and English when asked."""

from __future__ import annotations

import gettext
import html
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

import tiers

PACKAGE_DIR = Path(tiers.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
FR_PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MAKEMESSAGES_IGNORE = ["static/vendor/*", "*/migrations/*"]


# --- a small PO reader: enough for the catalogues `makemessages` writes ---------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [
            self.msgstr_plural.get(i, "") for i in range(max(self.msgstr_plural, default=-1) + 1)
        ]

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], text[1:-1])


def read_po(path: Path) -> list[Entry]:
    """Every entry of a PO file, the header (msgid "") first; obsolete (#~) entries left out."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal current, target, started
        if started:
            entries.append(current)
        current, target, started = Entry(), None, False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if started:
                finish()
            current.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
        elif line.startswith("#"):
            if started:
                finish()
        elif line.startswith("msgctxt "):
            if started:
                finish()
            current.msgctxt, target = _unquote(line[8:]), ("msgctxt", 0)
        elif line.startswith("msgid_plural "):
            current.msgid_plural, target = _unquote(line[13:]), ("msgid_plural", 0)
        elif line.startswith("msgid "):
            if started:
                finish()
            current.msgid, target, started = _unquote(line[6:]), ("msgid", 0), True
            current.line = number
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            current.msgstr_plural[index] = _unquote(line[line.index("]") + 1 :])
            target = ("msgstr_plural", index)
        elif line.startswith("msgstr "):
            current.msgstr, target = _unquote(line[7:]), ("msgstr", 0)
        elif line.startswith('"'):
            assert target is not None, f"{path}:{number}: continuation outside an entry"
            name, index = target
            if name == "msgstr_plural":
                current.msgstr_plural[index] += _unquote(line)
            else:
                setattr(current, name, getattr(current, name) + _unquote(line))
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def header_fields(entries: list[Entry]) -> dict[str, str]:
    assert entries and entries[0].msgid == "" and entries[0].msgctxt is None, "no PO header"
    fields = {}
    for line in entries[0].msgstr.splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not (e.msgid == "" and e.msgctxt is None)]


@pytest.fixture(scope="module")
def french() -> list[Entry]:
    return read_po(FR_PO)


@pytest.fixture(scope="module")
def english() -> list[Entry]:
    return read_po(EN_PO)


def test_the_catalogues_are_where_django_looks_for_them():
    assert LOCALE_DIR in [Path(p).resolve() for p in settings.LOCALE_PATHS]
    assert settings.LANGUAGE_CODE == "fr"
    assert FR_PO.is_file() and EN_PO.is_file()


def test_the_reader_understands_plurals_context_and_escapes(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: fr\\n"\n\n'
        '#, fuzzy\nmsgctxt "menu"\nmsgid "Open"\nmsgstr "Ouvrir"\n\n'
        'msgid "%(n)s place"\nmsgid_plural ""\n"%(n)s places"\nmsgstr[0] "%(n)s lieu"\n'
        'msgstr[1] ""\n"%(n)s lieux"\n\n'
        'msgid "Say \\"hi\\"\\n"\nmsgstr ""\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Parti"\n',
        encoding="utf-8",
    )
    header, opened, places, hi = read_po(po)
    assert header_fields([header]) == {"Language": "fr"}
    assert (opened.msgctxt, opened.msgid, opened.msgstr, opened.flags) == (
        "menu", "Open", "Ouvrir", {"fuzzy"},
    )  # fmt: skip
    assert places.translations == ["%(n)s lieu", "%(n)s lieux"]
    assert places.msgid_plural == "%(n)s places"
    assert (hi.msgid, hi.msgstr) == ('Say "hi"\n', "")


# --- the French catalogue is complete and well formed -------------------------------------


def test_the_french_header_is_filled(french):
    fields = header_fields(french)
    assert fields["Project-Id-Version"] == "Tiers"
    assert fields["Language"] == "fr"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert "fuzzy" not in french[0].flags


def test_every_french_entry_is_translated_and_none_is_fuzzy(french):
    entries = messages(french)
    assert len(entries) > 100
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    untranslated = [str(e) for e in entries if not all(e.translations)]
    assert not fuzzy, "fuzzy entries: " + "; ".join(fuzzy)
    assert not untranslated, "untranslated entries: " + "; ".join(untranslated)


def test_plural_entries_have_both_french_forms(french):
    plurals = [e for e in messages(french) if e.msgid_plural is not None]
    assert plurals, "the catalogue is expected to hold plural messages"
    for entry in plurals:
        assert sorted(entry.msgstr_plural) == [0, 1], str(entry)


_NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")
_POSITIONAL = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdifrx]")
_BRACES = re.compile(r"\{[^{}]*\}")


def placeholders(text: str) -> tuple[set[str], Counter[str]]:
    """Named placeholders (as a set) and the others, %s, %d and {...}, counted."""
    text = text.replace("%%", "")
    named = {m.group(0) for m in _NAMED.finditer(text)}
    rest = _NAMED.sub("", text)
    others = Counter(m.group(0) for m in _POSITIONAL.finditer(rest))
    others.update(m.group(0) for m in _BRACES.finditer(rest))
    return named, others


def test_the_placeholder_finder():
    assert placeholders("%(n)d of %(total)s, %s and %d, {name}, 100%%") == (
        {"%(n)d", "%(total)s"}, Counter({"%s": 1, "%d": 1, "{name}": 1}),
    )  # fmt: skip


def test_every_placeholder_is_kept_in_the_french_translation(french):
    problems = []
    for entry in messages(french):
        if entry.msgid_plural is None:
            pairs = [(entry.msgid, entry.msgstr)]
        else:
            # msgstr[1] (n > 1) answers the English plural; msgstr[0] (0 and 1) may drop what
            # only the plural shows, but must keep what the English singular shows.
            pairs = [(entry.msgid_plural, entry.msgstr_plural.get(1, ""))]
            one = entry.msgstr_plural.get(0, "")
            singular, plural = placeholders(entry.msgid), placeholders(entry.msgid_plural)
            found = placeholders(one)
            if not (singular[0] <= found[0] <= plural[0] | singular[0]):
                problems.append(f"{entry} [0]: {sorted(found[0])}")
            if found[1] != singular[1] and found[1] != plural[1]:
                problems.append(f"{entry} [0]: {dict(found[1])}")
        for source, translation in pairs:
            if translation and placeholders(source) != placeholders(translation):
                problems.append(f"{entry}: {placeholders(source)} != {placeholders(translation)}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_python_format_flags_match_the_messages(french):
    """A message with %(name)s must be flagged python-format, or xgettext and msgfmt -c
    would not check it."""
    for entry in messages(french):
        if _NAMED.search(entry.msgid.replace("%%", "")):
            assert "python-format" in entry.flags, str(entry)


# --- the English catalogue: English is the source language --------------------------------


def test_the_english_catalogue_has_the_same_messages_left_untranslated(french, english):
    fields = header_fields(english)
    assert fields["Language"] == "en"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert {e.key for e in messages(english)} == {e.key for e in messages(french)}
    assert not [str(e) for e in messages(english) if any(e.translations)]


# --- the committed .mo files are compiled from the .po files ------------------------------


def expected_catalog(entries: list[Entry]) -> dict[object, str]:
    """What msgfmt puts in a .mo: every complete, non-fuzzy entry (the header aside)."""
    catalog: dict[object, str] = {}
    for entry in messages(entries):
        if "fuzzy" in entry.flags or not all(entry.translations):
            continue
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            catalog[msgid] = entry.msgstr
        else:
            for index, text in enumerate(entry.translations):
                catalog[(msgid, index)] = text
    return catalog


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_committed_mo_file_matches_the_po_file(language):
    po = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: run `tiers compilemessages`"
    with mo.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    entries = read_po(po)
    expected = expected_catalog(entries)
    actual = dict(compiled._catalog)  # type: ignore[attr-defined]
    # msgfmt leaves POT-Creation-Date out of the compiled header
    header = {k: v for k, v in header_fields(entries).items() if k != "POT-Creation-Date"}
    assert compiled.info() == {k.lower(): v for k, v in header.items()}, f"{mo}: header differs"
    del actual[""]
    stale = sorted(str(k) for k in expected if actual.get(k) != expected[k])
    extra = sorted(str(k) for k in actual if k not in expected)
    assert not stale and not extra, (
        f"{mo} is out of date, run `tiers compilemessages`. "
        f"Differs: {stale[:10]}; only in the .mo: {extra[:10]}"
    )
    if language == "fr":
        assert compiled.gettext("Log in") == "Se connecter"
        assert (
            compiled.ngettext("%(counter)s place", "%(counter)s places", 2) == "%(counter)s lieux"
        )


# --- the catalogue is up to date with the code --------------------------------------------


def _gettext_tools_missing() -> list[str]:
    return [tool for tool in ("xgettext", "msguniq", "msgmerge") if shutil.which(tool) is None]


def test_every_message_of_the_code_is_in_the_french_catalogue(tmp_path, settings, monkeypatch):
    missing_tools = _gettext_tools_missing()
    if missing_tools:
        reason = f"GNU gettext is not installed ({', '.join(missing_tools)} not found)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI must install it (apt-get install gettext)")
        pytest.skip(reason)
    # makemessages writes temporary files next to the templates it reads: work on a copy of
    # the package, and let it write a fresh catalogue into the copy.
    copy = tmp_path / "tiers"
    shutil.copytree(
        PACKAGE_DIR, copy,
        ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "*.pyc", "*.mo"),
    )  # fmt: skip
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command(
        "makemessages", locale=["fr"], ignore_patterns=MAKEMESSAGES_IGNORE, no_obsolete=True,
        verbosity=0,
    )  # fmt: skip
    from_code = {e.key: e for e in messages(read_po(copy / "locale/fr/LC_MESSAGES/django.po"))}
    assert "Log in" in {msgid for _, msgid, _ in from_code}, "the extraction found nothing"
    committed = {e.key for e in messages(read_po(FR_PO))}
    missing = sorted(str(e) for key, e in from_code.items() if key not in committed)
    assert not missing, (
        "messages of the code missing from the French catalogue (run makemessages, then "
        "translate them):\n" + "\n".join(m.partition(": ")[2] for m in missing)
    )


# --- the pages speak French by default, English when asked --------------------------------


def page_text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def workshop(make_place):
    return make_place("L'Établi", kinds=["workshop"], opening_hours="Mo-Fr 09:00-18:00")


def test_the_home_page_is_in_french_by_default(client, db):
    text = page_text(client.get("/"))
    assert '<html lang="fr">' in text
    assert "Annuaire des tiers-lieux" in text
    assert "Se connecter" in text and "Créer un compte" in text
    assert "Tiers-lieux directory" not in text
    assert "Log in" not in text


def test_the_home_page_is_in_english_when_the_browser_asks(client, db):
    text = page_text(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="en">' in text
    assert "Tiers-lieux directory" in text
    assert "Log in" in text
    assert "Annuaire des tiers-lieux" not in text


def test_a_place_page_is_in_french_by_default(client, workshop):
    text = page_text(client.get(workshop.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Horaires d'ouverture" in text
    assert "Atelier partagé" in text  # a model choice, translated lazily
    assert "Opening hours" not in text
    assert "Shared workshop" not in text


def test_a_place_page_is_in_english_with_the_language_cookie(client, workshop):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = page_text(client.get(workshop.get_absolute_url()))
    assert "Opening hours" in text
    assert "Shared workshop" in text
    assert "Horaires d'ouverture" not in text


def test_the_language_switch_sets_english_then_french_again(client, workshop):
    url = workshop.get_absolute_url()
    response = client.post("/langue/", {"language": "en", "next": url})
    assert response.status_code == 302
    assert "Shared workshop" in page_text(client.get(url))
    client.post("/langue/", {"language": "fr", "next": url})
    assert "Atelier partagé" in page_text(client.get(url))
