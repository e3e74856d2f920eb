"""Occupancy statistics for a place's managers: a page (tables and a heatmap drawn as SVG on
the server, with a table fallback) and the same figures as CSV."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiers.bookings import services, stats
from tiers.bookings.models import Resource
from tiers.bookings.permissions import can_manage_bookings
from tiers.places.hours import WEEKDAYS
from tiers.places.models import Place

DATE_FORMAT = "%Y-%m-%d"


class OccupancyForm(forms.Form):
    """The period and the resource, read from the query string (a GET form)."""

    debut = forms.DateField(
        label=gettext_lazy("From"), required=False, input_formats=[DATE_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
        error_messages={"invalid": gettext_lazy("Enter a date like 2026-03-02.")},
    )  # fmt: skip
    fin = forms.DateField(
        label=gettext_lazy("To (included)"), required=False, input_formats=[DATE_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
        error_messages={"invalid": gettext_lazy("Enter a date like 2026-03-29.")},
    )  # fmt: skip
    ressource = forms.ChoiceField(
        label=gettext_lazy("Resource"), required=False,
        error_messages={"invalid_choice": gettext_lazy("This place has no such resource.")},
    )  # fmt: skip

    def __init__(
        self, data: Any, *, resources: list[Resource], today: dt.date, tz: ZoneInfo
    ) -> None:
        super().__init__(data)
        self.today, self.tz = today, tz
        self.resources = resources
        field = self.fields["ressource"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All resources"))] + [(r.slug, r.name) for r in resources]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "debut" in data and "fin" in data:
            try:
                data["period"] = stats.make_period(
                    data["debut"], data["fin"], today=self.today, tz=self.tz
                )
            except stats.PeriodError as exc:
                raise forms.ValidationError(str(exc.message), code=exc.code) from exc
        return data

    def selected(self) -> list[Resource]:
        slug = self.cleaned_data.get("ressource")
        return [r for r in self.resources if r.slug == slug] if slug else self.resources


def _place_for_stats(request: HttpRequest, slug: str) -> Place:
    place = get_object_or_404(Place, slug=slug)
    if not can_manage_bookings(request.user, place):
        raise PermissionDenied
    return place


def _compute(request: HttpRequest, place: Place) -> tuple[OccupancyForm, stats.Occupancy | None]:
    tz = place.tz
    today = services.now().astimezone(tz).date()
    resources = stats.place_resources(place)
    form = OccupancyForm(request.GET, resources=resources, today=today, tz=tz)
    if not form.is_valid():
        return form, None
    result = stats.occupancy(
        place=place, period=form.cleaned_data["period"], resources=form.selected()
    )
    return form, result


# The heatmap, drawn on the server ----------------------------------------------------------

# A sequential scale from light to dark (after ColorBrewer YlGnBu): its lightness alone orders the
# values, so it reads for every kind of colour vision and in grey; each cell also prints its
# value, in a text colour chosen for a contrast of at least 4.5:1 on its fill.
SCALE: list[tuple[int, str, str]] = [
    # (lowest percentage of the step, fill, text colour)
    (0, "#ffffcc", "#1d2327"),
    (20, "#a1dab4", "#1d2327"),
    (40, "#41b6c4", "#1d2327"),
    (60, "#2171b5", "#ffffff"),
    (80, "#253494", "#ffffff"),
]
CLOSED_FILL = "url(#occupancy-closed)"
CELL_WIDTH, CELL_HEIGHT = 72, 30
LEFT, TOP = 64, 32


def _step(value: Decimal) -> tuple[str, str]:
    fill, ink = SCALE[0][1], SCALE[0][2]
    for lowest, step_fill, step_ink in SCALE:
        if value >= lowest:
            fill, ink = step_fill, step_ink
    return fill, ink


def _whole(value: Decimal | None) -> int | None:
    return None if value is None else int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def hour_range(hour: int) -> str:
    return f"{hour:02d}:00\N{EN DASH}{hour + 1:02d}:00"


@dataclass
class DrawnCell:
    weekday: str
    hours: str
    value: int | None  # whole percent; None: closed
    x: int
    y: int
    fill: str
    ink: str

    @property
    def text_x(self) -> int:
        return self.x + CELL_WIDTH // 2

    @property
    def text_y(self) -> int:
        return self.y + CELL_HEIGHT // 2 + 5


@dataclass
class DrawnRow:
    label: str  # the hour's start, "09:00"
    hours: str  # "09:00-10:00" (with an en dash)
    label_y: int
    cells: list[DrawnCell]


@dataclass
class Legend:
    fill: str
    label: str


def draw_heatmap(heatmap: stats.Heatmap) -> dict[str, Any]:
    """Everything the template needs to draw the heatmap (no number crunching there)."""
    rows = []
    for index, (hour, cells) in enumerate(heatmap.rows()):
        y = TOP + index * CELL_HEIGHT
        drawn = []
        for cell in cells:
            value = _whole(cell.occupancy)
            fill, ink = (CLOSED_FILL, "#1d2327") if value is None else _step(Decimal(value))
            drawn.append(
                DrawnCell(
                    weekday=str(WEEKDAYS[cell.weekday]), hours=hour_range(hour), value=value,
                    x=LEFT + cell.weekday * CELL_WIDTH, y=y, fill=fill, ink=ink,
                )
            )  # fmt: skip
        rows.append(DrawnRow(f"{hour:02d}:00", hour_range(hour), y + CELL_HEIGHT // 2 + 5, drawn))
    columns = [
        {"label": str(WEEKDAYS_ABBR[day]), "x": LEFT + day * CELL_WIDTH + CELL_WIDTH // 2}
        for day in range(7)
    ]
    legend = []
    for index, (lowest, fill, _ink) in enumerate(SCALE):
        if index + 1 < len(SCALE):
            label = _("%(low)s to %(high)s %%") % {"low": lowest, "high": SCALE[index + 1][0] - 1}
        else:
            label = _("%(low)s %% and more") % {"low": lowest}
        legend.append(Legend(fill, label))
    busiest = max(
        heatmap.open_cells(),
        key=lambda cell: (cell.occupancy or 0, -cell.weekday, -cell.hour),
        default=None,
    )
    if busiest is not None and not busiest.booked_seconds:
        busiest = None
    return {
        "rows": rows,
        "columns": columns,
        "cell_width": CELL_WIDTH,
        "cell_height": CELL_HEIGHT,
        "width": LEFT + 7 * CELL_WIDTH + 2,
        "height": TOP + len(rows) * CELL_HEIGHT + 2,
        "label_x": LEFT - 8,
        "header_y": TOP - 10,
        "legend": legend,
        "busiest": busiest
        and {
            "weekday": str(WEEKDAYS[busiest.weekday]),
            "hours": hour_range(busiest.hour),
            "value": _whole(busiest.occupancy),
        },
        "weekdays": [str(day) for day in WEEKDAYS],
    }


@login_required
def occupancy(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_stats(request, slug)
    form, result = _compute(request, place)
    context: dict[str, Any] = {"place": place, "form": form, "result": result}
    if result is not None:
        context["heatmap"] = draw_heatmap(result.heatmap)
        context["csv_query"] = request.GET.urlencode()
        context["selected"] = (
            result.resources[0].resource if form.cleaned_data["ressource"] else None
        )
        context["all_weeks"] = list(zip(result.weeks, result.week_totals, strict=True))
        context["by_resource"] = [
            (item, list(zip(result.weeks, item.weeks, strict=True))) for item in result.resources
        ]
    return render(
        request,
        "bookings/manage/occupancy.html",
        context,
        status=200 if result is not None else 400,
    )


# CSV ----------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(result: stats.Occupancy) -> list[list[str]]:
    rows = [
        [
            _("Resource"), _("Short name"), _("Kind of resource"), _("Capacity"), _("ISO week"), _("From"),
            _("To"), _("Open hours"), _("Booked hours"), _("Occupancy (%)"), _("Bookings"),
            _("No-shows"), _("Cancellations"), _("Blocked hours"),
            _("Hours booked outside the open time"),
        ]
    ]  # fmt: skip
    for item in result.resources:
        resource = item.resource
        for week, figures in zip(result.weeks, item.weeks, strict=True):
            rows.append(
                [
                    _cell(resource.name), _cell(resource.slug),
                    _cell(str(resource.get_kind_display())), str(resource.capacity),
                    week.label, week.first_day.isoformat(), week.last_day.isoformat(),
                    _number(figures.open_hours), _number(figures.booked_hours),
                    _number(figures.occupancy), str(figures.bookings), str(figures.no_shows),
                    str(figures.cancelled), _number(figures.blocked_hours),
                    _number(figures.booked_outside_hours),
                ]
            )  # fmt: skip
    return rows


@login_required
def occupancy_csv(request: HttpRequest, slug: str) -> HttpResponse:
    place = _place_for_stats(request, slug)
    form, result = _compute(request, place)
    if result is None:
        errors = [str(error) for errors in form.errors.values() for error in errors]
        return HttpResponse(
            "\n".join(errors) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    body = "\ufeff" + "".join(writer.writerow(row) for row in csv_rows(result))
    response = HttpResponse(body.encode(), content_type="text/csv; charset=utf-8")
    period = result.period
    filename = f"occupation-{place.slug}-{period.first_day:%Y-%m-%d}-{period.last_day:%Y-%m-%d}"
    if form.cleaned_data.get("ressource"):
        filename += f"-{form.cleaned_data['ressource']}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
