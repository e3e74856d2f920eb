"""`tiers import-places FILE`: options, dry run, reports, and files that cannot be read."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiers.places.models import Place

HERE = Path(__file__).resolve()
DATA = HERE.parents[2].parent / "shared" / "data"
EXAMPLE = DATA / "mediation-numerique" / "exemple-valide.csv"
FOREIGN = HERE.parents[1] / "data" / "mednum-foreign.csv"
GEOJSON = HERE.parents[1] / "data" / "places.geojson"

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_places", *args, stdout=out)
    return out.getvalue()


def test_the_command_imports_and_reports():
    output = run(str(FOREIGN))

    assert Place.objects.count() == 3
    assert "3 created, 0 updated, 0 unchanged, 7 rejected" in output
    assert "Rejected line 5: The name is missing." in output
    assert "Rejected line 6 (Lieu au code postal faux):" in output
    assert "warnings" in output and "-v 2" in output


def test_warnings_are_listed_on_demand():
    output = run(str(FOREIGN), "--verbosity", "2")

    assert "Warning, line 4 (Espace numérique du Lac): The opening hours “sometimes”" in output


def test_a_second_run_reports_unchanged_places():
    run(str(FOREIGN))
    output = run(str(FOREIGN))

    assert "0 created, 0 updated, 3 unchanged, 7 rejected" in output
    assert Place.objects.count() == 3


def test_a_dry_run_writes_nothing_and_tells_what_would_change(tmp_path):
    run(str(FOREIGN))
    before = {p.pk: (p.name, p.address, p.updated_at) for p in Place.objects.all()}
    changed = tmp_path / "changed.csv"
    changed.write_bytes(FOREIGN.read_bytes().replace(b"2 rue de Siam", b"12 rue de Siam"))

    output = run(str(changed), "--dry-run")

    assert "Dry run, nothing was written" in output
    assert "0 to create, 1 to update, 2 unchanged, 7 rejected" in output
    after = {p.pk: (p.name, p.address, p.updated_at) for p in Place.objects.all()}
    assert after == before


def test_a_file_can_come_from_standard_input(monkeypatch):
    class Stdin:
        buffer = io.BytesIO(FOREIGN.read_bytes())

    monkeypatch.setattr(sys, "stdin", Stdin())

    output = run("-")

    assert "3 created" in output
    assert Place.objects.count() == 3


def test_a_dry_run_issues_no_write_query():
    with CaptureQueriesContext(connection) as queries:
        output = run(str(FOREIGN), "--dry-run")

    assert "3 to create" in output
    assert Place.objects.count() == 0
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


def test_the_format_and_source_can_be_forced():
    output = run(str(EXAMPLE), "--format", "mednum", "--source", "hub-grand-est")

    assert "1 created" in output
    assert Place.objects.get().source == "hub-grand-est"


def test_a_forced_format_that_does_not_fit_is_an_error():
    with pytest.raises(CommandError, match="not valid JSON"):
        run(str(EXAMPLE), "--format", "geojson")
    with pytest.raises(CommandError, match="no column nom_tl"):
        run(str(EXAMPLE), "--format", "cget")
    assert Place.objects.count() == 0


def test_a_source_name_too_long_is_an_error():
    with pytest.raises(CommandError, match="longer than 40"):
        run(str(EXAMPLE), "--source", "x" * 41)
    assert Place.objects.count() == 0


GARBAGE = {
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "not a text file"),
    "binary": (bytes(range(1, 32)) * 40, "not a text file"),
    "prose": (b"Bonjour,\nvoici la liste des lieux.\n", "not a CSV file"),
    "other csv": (b"a,b,c\n1,2,3\n", "neither the 2019 census"),
    "other json": (b'{"places": []}', "not a GeoJSON FeatureCollection"),
    "broken json": (b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
    "empty": (b"  \n", "empty"),
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_a_file_that_is_not_places_gives_a_clear_error(tmp_path, name):
    content, message = GARBAGE[name]
    path = tmp_path / "upload.dat"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message) as error:
        run(str(path))

    assert str(path) in str(error.value)
    assert Place.objects.count() == 0


def test_a_missing_file_gives_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "nowhere.csv"))


def test_the_command_exits_non_zero_only_when_the_file_cannot_be_read(tmp_path):
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\x01\x02 not a table")
    env = {
        **os.environ,
        "DATABASE_URL": "sqlite:///:memory:",
        "DJANGO_SETTINGS_MODULE": "tiers.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tiers.cli", "import-places", str(garbage)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode == 1
    # the console speaks the site's language (French by default) and names the file
    assert "garbage.csv" in result.stderr
    assert "Traceback" not in result.stderr


def test_rejected_rows_do_not_make_the_command_fail():
    # call_command raises CommandError for what makes the process exit non-zero.
    output = run(str(FOREIGN))
    assert "7 rejected" in output


def test_a_progress_bar_is_drawn_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)

    run(str(FOREIGN))

    assert "Importing" in terminal.getvalue()
    assert "10/10" in terminal.getvalue()
