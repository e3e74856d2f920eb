"""Importing places from an open data file: the write service.

The import is idempotent: every place remembers where it came from (`source`, `source_id`),
so importing the same file again updates the places instead of adding them twice. Rows are
written in batches, each in one transaction: the batch's existing places are read in one
query (and locked), new ones are inserted in bulk, changed ones updated in bulk. A row that
cannot become a place is rejected with its line number and the reason, and the others go on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tiers.places.models import Place, PlaceKind
from tiers.places.opendata import formats, readers
from tiers.places.opendata.clean import RowRejected
from tiers.places.opendata.formats import PlaceRecord

BATCH_SIZE = 500
PlaceKindLink = Place.kinds.through
T = TypeVar("T")


@dataclass
class RowIssue:
    number: int
    message: str
    name: str = ""


@dataclass
class ImportReport:
    format: str
    unit: str  # "line" or "feature": what the numbers in `rejected` and `warnings` count
    dry_run: bool = False
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    file_warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _batched(items: Sequence[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SlugAllocator:
    """Unique slugs for many new places without one query each: the slugs in use are read
    once, and new ones follow `services.unique_slug`'s scheme (name, then name-2, name-3...)."""

    def __init__(self) -> None:
        self._taken: set[str] | None = None

    def reload(self) -> None:
        self._taken = set(Place.objects.values_list("slug", flat=True))

    def allocate(self, name: str) -> str:
        if self._taken is None:
            self.reload()
        assert self._taken is not None
        base = slugify(name)[:70].strip("-") or "lieu"
        slug, n = base, 2
        while slug in self._taken:
            slug = f"{base}-{n}"
            n += 1
        self._taken.add(slug)
        return slug


def _merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


@dataclass
class _BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _write_batch(
    records: list[PlaceRecord], *, dry_run: bool, slugs: SlugAllocator
) -> _BatchResult:
    result = _BatchResult()
    existing_qs = Place.objects.filter(
        source__in={r.source for r in records}, source_id__in={r.source_id for r in records}
    )
    if not dry_run:
        existing_qs = existing_qs.select_for_update().order_by("pk")
    existing = {(p.source, p.source_id): p for p in existing_qs}
    kinds_of: dict[int, set[str]] = defaultdict(set)
    for place_id, code in PlaceKindLink.objects.filter(
        place_id__in=[p.pk for p in existing.values()]
    ).values_list("place_id", "placekind_id"):
        kinds_of[place_id].add(code)

    now = timezone.now()
    new: list[tuple[Place, list[str]]] = []
    updates: dict[frozenset[str], list[Place]] = defaultdict(list)
    new_kinds: dict[int, list[str]] = {}
    for record in records:
        place = existing.get(record.key)
        if place is None:
            place = Place(source=record.source, source_id=record.source_id, **record.values)
            place.standard_fields = _merge({}, record.standard_fields)
            place.slug = slugs.allocate(place.name)
            place.search_text = place.build_search_text()
            new.append((place, record.kinds or record.default_kinds))
            result.created += 1
            continue
        changed = {name for name, value in record.values.items() if getattr(place, name) != value}
        merged = _merge(place.standard_fields or {}, record.standard_fields)
        if merged != place.standard_fields:
            changed.add("standard_fields")
        kinds_changed = record.kinds is not None and set(record.kinds) != kinds_of[place.pk]
        if not changed and not kinds_changed:
            result.unchanged += 1
            continue
        for name in changed - {"standard_fields"}:
            setattr(place, name, record.values[name])
        place.standard_fields = merged
        place.search_text = place.build_search_text()
        place.updated_at = now
        updates[frozenset(changed)].append(place)
        if kinds_changed and record.kinds is not None:
            new_kinds[place.pk] = record.kinds
        result.updated += 1

    if dry_run:
        return result
    used = {code for _, kinds in new for code in kinds} | {
        code for kinds in new_kinds.values() for code in kinds
    }
    PlaceKind.objects.bulk_create([PlaceKind(code=c) for c in used], ignore_conflicts=True)
    Place.objects.bulk_create([place for place, _ in new])
    for fields, places in updates.items():
        Place.objects.bulk_update(places, [*fields, "search_text", "updated_at"])
    PlaceKindLink.objects.filter(place_id__in=list(new_kinds)).delete()
    links = [
        PlaceKindLink(place_id=place.pk, placekind_id=code)
        for place, kinds in [*new, *((Place(pk=pk), kinds) for pk, kinds in new_kinds.items())]
        for code in kinds
    ]
    PlaceKindLink.objects.bulk_create(links)
    return result


def _row_name(row: readers.RawRow) -> str:
    data = row.data.get("properties", row.data)
    if not isinstance(data, dict):
        return ""
    for key in ("nom_tl", "nom", "name"):
        if data.get(key):
            return str(data[key]).strip()[:200]
    return ""


def places_import(
    *,
    places_file: readers.PlacesFile,
    source: str = "",
    file_stem: str = "",
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Create or update the places of a file read by `readers.read`.

    `source` replaces the source each format gives its rows (e.g. to import two versions of a
    file side by side); `file_stem` names the source of GeoJSON files. With `dry_run`, every
    row is checked and counted but nothing is written. `progress` is called with the number
    of rows done after each batch.
    """
    if len(source) > formats.SOURCE_MAX_LENGTH:
        raise readers.ImportFileError(
            _("The source name is longer than %(max)d characters.")
            % {"max": formats.SOURCE_MAX_LENGTH}
        )
    report = ImportReport(
        format=places_file.format, unit=places_file.unit, dry_run=dry_run,
        total=len(places_file.rows), file_warnings=list(places_file.warnings),
    )  # fmt: skip
    convert = formats.CONVERTERS[places_file.format]
    context = formats.Context(source=source, file_stem=file_stem)
    seen: dict[tuple[str, str], int] = {}
    slugs = SlugAllocator()
    for chunk in _batched(places_file.rows, batch_size):
        records: list[PlaceRecord] = []
        for row in chunk:
            if row.error:
                report.rejected.append(RowIssue(row.number, row.error, _row_name(row)))
                continue
            try:
                record = convert(row, context)
            except RowRejected as exc:
                report.rejected.append(RowIssue(row.number, exc.message, _row_name(row)))
                continue
            if record.key in seen:
                report.rejected.append(
                    RowIssue(
                        row.number,
                        _("Same identifier “%(id)s” as %(unit)s %(number)d: left out.")
                        % {"id": record.source_id, "unit": report.unit, "number": seen[record.key]},
                        record.name,
                    )
                )
                continue
            seen[record.key] = row.number
            report.warnings.extend(RowIssue(row.number, w, record.name) for w in record.warnings)
            if record.source not in report.sources:
                report.sources.append(record.source)
            records.append(record)
        if records:
            result = _save_batch(records, dry_run=dry_run, slugs=slugs)
            report.created += result.created
            report.updated += result.updated
            report.unchanged += result.unchanged
        if progress is not None:
            progress(len(chunk))
    return report


def _save_batch(records: list[PlaceRecord], *, dry_run: bool, slugs: SlugAllocator) -> _BatchResult:
    if dry_run:
        return _write_batch(records, dry_run=True, slugs=slugs)
    try:
        with transaction.atomic():
            return _write_batch(records, dry_run=False, slugs=slugs)
    except IntegrityError:
        # Someone else created a place meanwhile (a slug or an identifier now taken): read
        # the slugs again and redo the batch once.
        slugs.reload()
        with transaction.atomic():
            return _write_batch(records, dry_run=False, slugs=slugs)
