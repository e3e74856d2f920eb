"""Writing a MediaWiki export into the commons.

Pages of the main, project and help namespaces become pages with every revision of their
history (author name, time and summary kept; the wikitext converted to Markdown); their
categories become tags; redirects become aliases of their target; talk pages become the
pages' discussions (one message per topic). Everything else is counted in the report.

Each page is written in its own transaction, its revisions in bulk, and the page brought to
its latest revision once (links, search entry): a crash leaves whole pages only. Import keys
make a second import idempotent and let a newer export of the same wiki append only the new
revisions:

- page: `mediawiki:<dbname>:<page id>`
- revision: `mediawiki:<dbname>:rev:<revision id>`
- discussion topic: `mediawiki:<dbname>:talk:<talk page id>:<topic number>`
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiers.commons import search, services
from tiers.commons.errors import CommonsError
from tiers.commons.facts import Kind
from tiers.commons.licences import DEFAULT as DEFAULT_LICENCE
from tiers.commons.mediawiki import wikitext
from tiers.commons.mediawiki.dump import Dump, Summary
from tiers.commons.mediawiki.dump import Page as DumpPage
from tiers.commons.mediawiki.dump import Revision as DumpRevision
from tiers.commons.models import MAX_TITLE, Comment, Page, PageAlias, Revision
from tiers.commons.services import MAX_TAG_LENGTH, MAX_TAGS, PageData
from tiers.commons.text import clean_title, slug_of
from tiers.places.models import Network, Place

BATCH = 500
"""Revisions written per INSERT."""
EXAMPLES = 5
"""Examples kept per construct in the report."""
MAX_MESSAGE = 20_000
NAMESPACE_NOTES = {
    2: gettext_lazy("user pages"),
    3: gettext_lazy("user talk pages"),
    6: gettext_lazy("file description pages (the export has no files)"),
    7: gettext_lazy("file talk pages"),
    8: gettext_lazy("interface messages"),
    9: gettext_lazy("interface message talk pages"),
    10: gettext_lazy("templates (their uses are kept as text)"),
    11: gettext_lazy("template talk pages"),
    14: gettext_lazy("category pages (categories become tags)"),
    15: gettext_lazy("category talk pages"),
}


@dataclass
class Problem:
    title: str
    reason: str


@dataclass
class Construct:
    count: int = 0
    examples: dict[str, list[Any]] = field(default_factory=dict)
    """sample -> [count, first page]"""


@dataclass
class Report:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool = False
    sitename: str = ""
    dbname: str = ""
    version: str = ""
    pages_in_dump: int = 0
    revisions_in_dump: int = 0
    pages_created: int = 0
    pages_updated: int = 0
    pages_unchanged: int = 0
    revisions_imported: int = 0
    revisions_left_out: int = 0
    redirects: int = 0
    aliases_created: int = 0
    aliases_unchanged: int = 0
    discussions_created: int = 0
    discussions_updated: int = 0
    discussions_unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    conflicts: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    constructs: dict[str, Construct] = field(default_factory=dict)

    def construct(self, name: str, sample: str, title: str) -> None:
        item = self.constructs.setdefault(name, Construct())
        item.count += 1
        example = item.examples.get(sample)
        if example is not None:
            example[0] += 1
        elif len(item.examples) < 50:
            item.examples[sample] = [1, title]

    def top_examples(self, name: str) -> list[tuple[str, int, str]]:
        examples = self.constructs[name].examples
        ranked = sorted(examples.items(), key=lambda item: -item[1][0])[:EXAMPLES]
        return [(sample, count, title) for sample, (count, title) in ranked]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "wiki": {"sitename": self.sitename, "dbname": self.dbname, "schema": self.version},
            "dump": {"pages": self.pages_in_dump, "revisions": self.revisions_in_dump},
            "pages": {
                "created": self.pages_created,
                "updated": self.pages_updated,
                "unchanged": self.pages_unchanged,
            },
            "revisions": {"imported": self.revisions_imported, "left_out": self.revisions_left_out},
            "aliases": {
                "redirects": self.redirects,
                "created": self.aliases_created,
                "unchanged": self.aliases_unchanged,
            },
            "discussions": {
                "created": self.discussions_created,
                "updated": self.discussions_updated,
                "unchanged": self.discussions_unchanged,
            },
            "skipped": dict(self.skipped),
            "conflicts": [{"title": p.title, "reason": p.reason} for p in self.conflicts],
            "problems": [{"title": p.title, "reason": p.reason} for p in self.problems],
            "not_converted": {
                name: {
                    "count": item.count,
                    "examples": [
                        {"sample": sample, "count": count, "page": title}
                        for sample, count, title in self.top_examples(name)
                    ],
                }
                for name, item in sorted(self.constructs.items(), key=lambda i: -i[1].count)
            },
        }

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n"

    def summary_lines(self) -> list[str]:
        if self.dry_run:
            pages = _(
                "Pages: %(created)d to create, %(updated)d to update, %(unchanged)d unchanged "
                "(%(total)d in the export)."
            )
            revisions = _("Revisions: %(imported)d to import (%(total)d in the export).")
            aliases = _(
                "Aliases (redirects): %(created)d to create, %(unchanged)d unchanged "
                "(%(total)d redirects)."
            )
            discussions = _(
                "Discussion topics: %(created)d to create, %(updated)d to update, "
                "%(unchanged)d unchanged."
            )
        else:
            pages = _(
                "Pages: %(created)d created, %(updated)d updated, %(unchanged)d unchanged "
                "(%(total)d in the export)."
            )
            revisions = _("Revisions: %(imported)d imported (%(total)d in the export).")
            aliases = _(
                "Aliases (redirects): %(created)d created, %(unchanged)d unchanged "
                "(%(total)d redirects)."
            )
            discussions = _(
                "Discussion topics: %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged."
            )
        return [
            pages % {
                "created": self.pages_created, "updated": self.pages_updated,
                "unchanged": self.pages_unchanged, "total": self.pages_in_dump,
            },
            revisions % {"imported": self.revisions_imported, "total": self.revisions_in_dump},
            aliases % {
                "created": self.aliases_created, "unchanged": self.aliases_unchanged,
                "total": self.redirects,
            },
            discussions % {
                "created": self.discussions_created, "updated": self.discussions_updated,
                "unchanged": self.discussions_unchanged,
            },
        ]  # fmt: skip

    def as_markdown(self) -> str:
        title = (
            _("Import of a MediaWiki export (dry run: nothing written)")
            if self.dry_run
            else _("Import of a MediaWiki export")
        )
        lines = [f"# {title}", ""]
        lines.append(
            _("Wiki: %(sitename)s (%(dbname)s), export schema %(version)s.")
            % {"sitename": self.sitename or "?", "dbname": self.dbname, "version": self.version}
        )
        lines.append("")
        lines.extend(f"- {line}" for line in self.summary_lines())
        if self.skipped:
            lines += ["", "## " + _("Skipped"), ""]
            lines += [f"- {reason}: {count}" for reason, count in self.skipped.most_common()]
        if self.conflicts:
            lines += ["", "## " + _("Conflicts (skipped, nothing overwritten)"), ""]
            lines += [f"- “{p.title}”: {p.reason}" for p in self.conflicts]
        if self.problems:
            lines += ["", "## " + _("Problems"), ""]
            lines += [f"- “{p.title}”: {p.reason}" for p in self.problems]
        if self.constructs:
            lines += ["", "## " + _("Not converted exactly (latest revision of each page)"), ""]
            lines += [
                "| {} | {} | {} |".format(_("construct"), _("count"), _("examples")),
                "| --- | --- | --- |",
            ]
            for name, item in sorted(self.constructs.items(), key=lambda i: -i[1].count):
                examples = "; ".join(
                    f"`{_cell(sample)}` ({count}, {_cell(page)})"
                    for sample, count, page in self.top_examples(name)
                )
                lines.append(f"| {name} | {item.count} | {examples} |")
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _relaxed_commit() -> None:
    """On PostgreSQL, do not wait for this transaction to reach the disk at its commit: a
    server crash may lose the last pages imported, never half of one (and the import is
    idempotent: run it again). Waiting once per page would make the import several times
    slower."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


class _Skip(Exception):
    """Leave this page out (the reason is in the report); rolls its transaction back."""


class _BecameRedirect(Exception):
    def __init__(self, target: str) -> None:
        self.target = target


@dataclass
class _Redirect:
    title: str
    target: str
    source: str
    """The wiki title of the redirect page."""


@dataclass
class _Talk:
    wiki_id: int
    title: str
    subject: str
    revision: DumpRevision


class MediaWikiImport:
    """`MediaWikiImport(dump, ...).run(summary)`; `summary` comes from `dump.check()`."""

    def __init__(
        self, dump: Dump, *, place: Place | None = None, network: Network | None = None,
        licence: str = DEFAULT_LICENCE, dry_run: bool = False,
        progress: Callable[[int], Any] | None = None,
    ) -> None:  # fmt: skip
        self.dump = dump
        self.place = place
        self.network = network
        self.licence = licence
        self.dry_run = dry_run
        self.progress = progress or (lambda n: None)
        self.report = Report(dry_run=dry_run)
        self.redirects: list[_Redirect] = []
        self.talks: list[_Talk] = []
        self.claimed: dict[str, str] = {}
        """slug -> wiki title of the pages this run creates or keeps."""
        self._last_row: Revision | None = None

    # -- the run -------------------------------------------------------------------------------

    def run(self, summary: Summary) -> Report:
        siteinfo = summary.siteinfo
        self.prefix = f"mediawiki:{siteinfo.key}:"
        self.namespaces = wikitext.Namespaces.of(siteinfo.namespaces)
        self.sitename = siteinfo.sitename
        report = self.report
        report.sitename, report.dbname, report.version = (
            siteinfo.sitename, siteinfo.key, summary.version,
        )  # fmt: skip
        report.pages_in_dump, report.revisions_in_dump = summary.pages, summary.revisions
        self.position = Page.objects.filter(
            place=self.place, network=self.network, parent=None
        ).count()
        for page in self.dump.pages():
            if page.ns in wikitext.PAGE_NAMESPACES:
                self._page(page)
            elif page.ns in wikitext.TALK_OF:
                self._talk(page)
            else:
                self._skip_namespace(page)
            self.progress(1)
        self._aliases()
        for talk in self.talks:
            self._discussion(talk, final=True)
        return report

    def _context(self, title: str) -> wikitext.Context:
        return wikitext.Context(title=title, namespaces=self.namespaces, sitename=self.sitename)

    def _skip_namespace(self, page: DumpPage) -> None:
        name = self.namespaces.name(page.ns) or str(page.ns)
        note = NAMESPACE_NOTES.get(page.ns, _("other namespaces"))
        label = _("%(name)s (namespace %(key)d): %(note)s")
        self.report.skipped[label % {"name": name, "key": page.ns, "note": note}] += 1

    # -- pages ---------------------------------------------------------------------------------

    def _title(self, ns: int, wiki_title: str) -> str:
        return clean_title(wikitext.page_title(ns, wiki_title, self.namespaces))

    def _check_title(self, title: str, wiki_title: str) -> str:
        """The slug of a title we can use, or _Skip with the reason reported."""
        if len(title) > MAX_TITLE:
            self.report.problems.append(
                Problem(
                    wiki_title,
                    _("title longer than %(max)d characters: skipped") % {"max": MAX_TITLE},
                )
            )
            raise _Skip
        slug = slug_of(title)
        if not slug:
            self.report.problems.append(Problem(wiki_title, _("title without letters: skipped")))
            raise _Skip
        return slug

    def _page(self, page: DumpPage) -> None:
        title = self._title(page.ns, page.title)
        key = f"{self.prefix}{page.id}"
        if page.redirect:
            self.report.redirects += 1
            existing = Page.objects.filter(import_key=key).first()
            if existing is not None:
                self.report.conflicts.append(Problem(
                    page.title, _("now a redirect in the wiki; the imported page “%(title)s” "
                                  "is kept as it was") % {"title": existing.title},
                ))  # fmt: skip
                return
            self.redirects.append(_Redirect(title, self._target(page.redirect), page.title))
            return
        try:
            slug = self._check_title(title, page.title)
            if self.dry_run:
                self._write_page(page, title, slug, key)
            else:
                with transaction.atomic():
                    _relaxed_commit()
                    self._write_page(page, title, slug, key)
        except _Skip:
            return
        except _BecameRedirect as redirect:
            self.report.redirects += 1
            self.redirects.append(_Redirect(title, self._target(redirect.target), page.title))

    def _target(self, wiki_title: str) -> str:
        key, rest = self.namespaces.split(wiki_title.split("#", 1)[0])
        if key is None:
            return clean_title(rest)
        if key in wikitext.PAGE_NAMESPACES:
            return self._title(key, wiki_title.split("#", 1)[0])
        return ""

    def _taken(self, slug: str, page: Page | None, wiki_title: str) -> None:
        """_Skip (reported) when `slug` belongs to a page other than `page`."""
        other = Page.objects.filter(slug=slug)
        alias = PageAlias.objects.filter(slug=slug)
        if page is not None:
            other, alias = other.exclude(pk=page.pk), alias.exclude(page=page)
        found = other.values_list("title", "import_key").first()
        if found is None:
            aliased = alias.values_list("page__title", "page__import_key").first()
            if aliased is not None:
                self.report.conflicts.append(Problem(
                    wiki_title, _("this title already leads to the page “%(title)s”: skipped")
                    % {"title": aliased[0]},
                ))  # fmt: skip
                raise _Skip
        if found is None and slug in self.claimed and self.claimed[slug] != wiki_title:
            found = (self.claimed[slug], self.prefix)
        if found is None:
            return
        if found[1].startswith(self.prefix):
            reason = _(
                "same address as the imported page “%(title)s” once turned into a slug: skipped"
            )
        else:
            reason = _(
                "the commons already has a page “%(title)s” that was not imported from this "
                "wiki: skipped, nothing overwritten"
            )
        reason = reason % {"title": found[0]}
        self.report.conflicts.append(Problem(wiki_title, reason))
        raise _Skip

    def _write_page(self, dump_page: DumpPage, title: str, slug: str, key: str) -> None:
        report = self.report
        existing = Page.objects.filter(import_key=key).first()
        if existing is not None and not self.dry_run:
            existing = Page.objects.select_for_update().get(pk=existing.pk)
        self._taken(slug, existing, dump_page.title)
        known: set[str] = set()
        number = 0
        previous_size = 0
        last_time = None
        if existing is not None:
            known = set(
                Revision.objects.filter(page=existing)
                .exclude(import_key="")
                .values_list("import_key", flat=True)
            )
            number = existing.revision_number
            current = Revision.objects.filter(page=existing, number=number).first()
            previous_size = current.size if current is not None else 0
            last_time = current.created_at if current is not None else None
        context = self._context(dump_page.title)
        cache: dict[str, Any] = {}
        rows: list[Revision] = []
        page = existing
        first_time = None
        latest: wikitext.Result | None = None
        latest_data: PageData | None = None
        new = 0
        left_out = 0
        for revision in dump_page.revisions:
            revision_key = f"{self.prefix}rev:{revision.id}"
            if revision_key in known:
                continue
            if last_time is not None and revision.timestamp < last_time:
                left_out += 1  # older than the page's history here: it cannot be appended
                continue
            result = self._convert(revision, context, cache)
            data = self._data(title, result, revision, dump_page.title)
            number += 1
            new += 1
            size = len(data.body.encode())
            first_time = first_time or revision.timestamp
            hidden = revision.text_deleted
            rows.append(Revision(
                number=number, action=Revision.Action.IMPORT, title=data.title,
                summary="", kind=data.kind, licence=data.licence, tags=data.tags, facts={},
                body=data.body, comment=data.comment, author=None,
                author_name=("—" if revision.contributor_deleted else revision.author_name)[:150],
                created_at=revision.timestamp, size=size, size_delta=size - previous_size,
                hidden=hidden,
                hidden_reason=_("Hidden in the wiki the page was imported from.") if hidden else "",
                import_key=revision_key,
            ))  # fmt: skip
            previous_size = size
            latest, latest_data = result, data
            if len(rows) >= BATCH:
                page = self._flush(page, rows, title, slug, key, first_time)
        if left_out:
            report.revisions_left_out += left_out
            report.problems.append(Problem(
                dump_page.title, _("%(count)d revisions older than the page's history in the "
                                   "commons were left out") % {"count": left_out},
            ))  # fmt: skip
        if not new or latest is None or latest_data is None:
            if existing is not None:
                report.pages_unchanged += 1
                self.claimed[slug] = dump_page.title
            elif not left_out:
                report.problems.append(
                    Problem(dump_page.title, _("no revision in the export: skipped"))
                )
            return
        if latest.redirect:
            if existing is not None:
                report.conflicts.append(Problem(
                    dump_page.title, _("now a redirect in the wiki; the imported page is kept "
                                      "as it was"),
                ))  # fmt: skip
                raise _Skip
            raise _BecameRedirect(latest.redirect)
        page = self._flush(page, rows, title, slug, key, first_time)
        for issue in latest.issues:
            report.construct(issue.construct, issue.sample, dump_page.title)
        for problem in self._tag_problems(latest.categories):
            report.construct(problem, dump_page.title, dump_page.title)
        report.revisions_imported += new
        self.claimed[slug] = dump_page.title
        if existing is None:
            report.pages_created += 1
        else:
            report.pages_updated += 1
            local = Revision.objects.filter(page=existing).exclude(action=Revision.Action.IMPORT)
            if local.exists():
                report.problems.append(Problem(
                    dump_page.title, _("edited in the commons since it was imported: the "
                                      "wiki's new revisions come after those edits"),
                ))  # fmt: skip
        if self.dry_run or page is None:
            return
        self._bring_up_to_date(page, latest_data, number, existing)

    def _flush(
        self, page: Page | None, rows: list[Revision], title: str, slug: str, key: str,
        first_time: Any,
    ) -> Page | None:  # fmt: skip
        if self.dry_run or not rows:
            rows.clear()
            return page
        if page is None:
            page = Page.objects.create(
                title=title, slug=slug, kind=Kind.PAGE, licence=self.licence,
                place=self.place, network=self.network, position=self.position,
                created_at=first_time, updated_at=first_time, import_key=key,
            )  # fmt: skip
            self.position += 1
        for row in rows:
            row.page = page
        Revision.objects.bulk_create(rows, batch_size=BATCH)
        self._last_row = rows[-1]
        rows.clear()
        return page

    def _bring_up_to_date(
        self, page: Page, data: PageData, number: int, existing: Page | None
    ) -> None:
        last = self._last_row
        if last is None or last.pk is None:  # a database that does not return ids from bulk inserts
            last = Revision.objects.get(page=page, number=number)
        old_slug = page.slug
        page.title, page.slug = data.title, slug_of(data.title)
        page.body, page.summary, page.kind = data.body, data.summary, data.kind
        page.licence, page.facts = data.licence, data.facts
        page.revision_number = number
        page.current_revision = last
        page.updated_at = last.created_at
        page.html = ""
        page.save(update_fields=[
            "title", "slug", "body", "summary", "kind", "licence", "facts",
            "revision_number", "current_revision", "updated_at", "html",
        ])  # fmt: skip
        services._set_tags(page, data.tags)
        if existing is not None and old_slug != page.slug:
            # Moved in the wiki: the old title keeps leading here.
            PageAlias.objects.filter(page=page, slug=page.slug).delete()
            PageAlias.objects.get_or_create(slug=old_slug, defaults={"page": page, "title": ""})
        services._record_links(page)
        services._title_appeared(page, {page.slug})
        search.index(page)

    def _convert(
        self, revision: DumpRevision, context: wikitext.Context, cache: dict[str, Any]
    ) -> wikitext.Result:
        """The revision's text converted; `cache` holds, for one page, the results by text
        and the sections already converted (consecutive revisions share most of them)."""
        if revision.text_deleted or revision.text_missing:
            issues = [] if revision.text_deleted else [
                wikitext.Issue("revision text not in the export", f"revision {revision.id}")
            ]  # fmt: skip
            return wikitext.Result("", issues=issues)
        text = revision.text
        digest = revision.sha1 or hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
        results: dict[str, wikitext.Result] = cache.setdefault("results", {})
        cached = results.get(digest)
        if cached is not None:
            return cached
        if revision.model not in {"wikitext", ""}:
            result = wikitext.Result(
                f"```\n{text}\n```" if text.strip() else "",
                issues=[wikitext.Issue(f"content model {revision.model}", context.title)],
            )
        else:
            result = wikitext.convert(text, context, cache.setdefault("sections", {}))
        if len(results) >= 64:
            results.pop(next(iter(results)))
        results[digest] = result
        return result

    def _tags(self, categories: list[str]) -> list[str]:
        tags: list[str] = []
        for name in categories:
            if len(name) > MAX_TAG_LENGTH or not slug_of(name):
                continue
            if name.casefold() not in {tag.casefold() for tag in tags}:
                tags.append(name)
        return tags[:MAX_TAGS]

    def _tag_problems(self, categories: list[str]) -> list[str]:
        problems = []
        if any(len(name) > MAX_TAG_LENGTH or not slug_of(name) for name in categories):
            problems.append(f"category name over {MAX_TAG_LENGTH} characters (left out)")
        if len(categories) > MAX_TAGS:
            problems.append(f"more than {MAX_TAGS} categories (the first {MAX_TAGS} kept)")
        return problems

    def _data(
        self, title: str, result: wikitext.Result, revision: DumpRevision, wiki_title: str
    ) -> PageData:
        comment = "" if revision.comment_deleted else revision.comment
        data = PageData(
            title=title, body=result.body, kind=Kind.PAGE, licence=self.licence,
            tags=self._tags(result.categories), comment=comment,
        )  # fmt: skip
        try:
            return services.clean(data)
        except CommonsError as exc:
            self.report.problems.append(
                Problem(
                    wiki_title,
                    _("revision %(id)d: %(message)s: page skipped")
                    % {"id": revision.id, "message": exc.message},
                )
            )
            raise _Skip from None

    # -- redirects -----------------------------------------------------------------------------

    def _aliases(self) -> None:
        pending = self.redirects
        while pending:
            waiting = []
            for redirect in pending:
                if self._alias(redirect, last_round=False) is None:
                    waiting.append(redirect)
            if len(waiting) == len(pending):
                for redirect in waiting:
                    self._alias(redirect, last_round=True)
                break
            pending = waiting

    def _find(self, slug: str) -> Page | None:
        page = Page.objects.filter(slug=slug).first()
        if page is None:
            alias = PageAlias.objects.filter(slug=slug).select_related("page").first()
            page = alias.page if alias is not None else None
        return page

    def _alias(self, redirect: _Redirect, *, last_round: bool) -> bool | None:
        """True when done (or reported), None when the target is not there (yet)."""
        report = self.report
        if not redirect.target:
            report.problems.append(Problem(
                redirect.source, _("redirect to a page that is not imported (another namespace)"),
            ))  # fmt: skip
            return True
        try:
            slug = self._check_title(redirect.title, redirect.source)
        except _Skip:
            return True
        target_slug = slug_of(redirect.target)
        target = self._find(target_slug) if target_slug else None
        if target is None and self.dry_run and target_slug in self.claimed:
            report.aliases_created += 1
            return True
        if target is None:
            if last_round:
                report.problems.append(Problem(
                    redirect.source, _("redirect to “%(title)s”, which is not in the commons: "
                                      "no alias") % {"title": redirect.target},
                ))  # fmt: skip
                return True
            return None
        if not target.import_key.startswith(self.prefix):
            report.conflicts.append(Problem(
                redirect.source, _("redirect to “%(title)s”, a page not imported from this "
                                  "wiki: no alias") % {"title": target.title},
            ))  # fmt: skip
            return True
        if target.slug == slug or PageAlias.objects.filter(slug=slug, page=target).exists():
            report.aliases_unchanged += 1
            return True
        owner = Page.objects.filter(slug=slug).values_list("title", flat=True).first() or (
            PageAlias.objects.filter(slug=slug).values_list("page__title", flat=True).first()
        )
        if owner:
            report.conflicts.append(Problem(
                redirect.source, _("this title already leads to the page “%(title)s”: no alias")
                % {"title": owner},
            ))  # fmt: skip
            return True
        if not self.dry_run:
            with transaction.atomic():
                PageAlias.objects.create(page=target, title=redirect.title, slug=slug)
                services._title_appeared(target, {slug})
        report.aliases_created += 1
        return True

    # -- discussions ---------------------------------------------------------------------------

    def _talk(self, page: DumpPage) -> None:
        last = None
        for revision in page.revisions:
            last = revision
        if last is None:
            return
        subject_ns = wikitext.TALK_OF[page.ns]
        _key, rest = self.namespaces.split(page.title)
        subject = rest if subject_ns == 0 else f"{self.namespaces.name(subject_ns)}:{rest}"
        talk = _Talk(page.id, page.title, clean_title(subject), last)
        if not self._discussion(talk, final=False):
            self.talks.append(talk)

    def _discussion(self, talk: _Talk, *, final: bool) -> bool:
        """Write a talk page's topics as messages on its page. False when the page is not
        there yet (and this is not the final round)."""
        report = self.report
        slug = slug_of(talk.subject)
        page = self._find(slug) if slug else None
        if page is None and not (self.dry_run and slug in self.claimed):
            if final:
                report.problems.append(Problem(
                    talk.title, _("discussion of “%(title)s”, which is not in the commons: "
                                 "skipped") % {"title": talk.subject},
                ))  # fmt: skip
                report.skipped[_("talk pages of pages not imported")] += 1
            return False
        if page is not None and not page.import_key.startswith(self.prefix):
            report.conflicts.append(Problem(
                talk.title, _("discussion of “%(title)s”, a page not imported from this "
                             "wiki: skipped") % {"title": page.title},
            ))  # fmt: skip
            return True
        revision = talk.revision
        if revision.text_deleted or revision.text_missing:
            report.problems.append(Problem(talk.title, _("the text is not in the export")))
            return True
        context = self._context(talk.title)
        prefix = f"{self.prefix}talk:{talk.wiki_id}:"
        existing = {}
        if page is not None:
            existing = {c.import_key: c for c in Comment.objects.filter(
                import_key__startswith=prefix
            )}  # fmt: skip
        for number, section in enumerate(wikitext.talk_sections(revision.text, context), 1):
            result = wikitext.convert(section.text, context)
            for issue in result.issues:
                report.construct(issue.construct, issue.sample, talk.title)
            body = result.body
            if not body.strip():
                continue
            if len(body) > MAX_MESSAGE:
                report.construct("discussion topic over 20,000 characters (cut)", section.topic,
                                 talk.title)  # fmt: skip
                body = body[: MAX_MESSAGE - 1] + "…"
            found = wikitext.signatures(section.text, self.namespaces)
            author = found[-1].name if found else revision.author_name
            when = (found[-1].when if found else None) or revision.timestamp
            values = {
                "author_name": author[:150],
                "topic": section.topic[:200],
                "body": body,
                "created_at": when,
            }
            key = f"{prefix}{number}"
            comment = existing.get(key)
            if comment is None:
                report.discussions_created += 1
                if not self.dry_run and page is not None:
                    Comment.objects.create(page=page, import_key=key, **values)
            elif any(getattr(comment, name) != value for name, value in values.items()):
                report.discussions_updated += 1
                if not self.dry_run:
                    Comment.objects.filter(pk=comment.pk).update(**values)
            else:
                report.discussions_unchanged += 1
        return True
