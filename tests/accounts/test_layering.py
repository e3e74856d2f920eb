"""The accounts app sits below places (DESIGN.md §3): its code never imports an app above it.

Apps above plug their part in through the accounts registries instead (see docs/accounts.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import tiers.accounts

ACCOUNTS_DIR = Path(tiers.accounts.__file__).resolve().parent
# Apps above accounts; later ones (bookings, events, commons...) belong here too.
ABOVE = ("tiers.places", "tiers.api")


def imported_modules(source: str) -> set[str]:
    """Every module an `import` or `from ... import` names, anywhere in the code (also inside
    functions), with `from tiers import places` counted as `tiers.places`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def upward(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == a or m.startswith(a + ".") for a in ABOVE)}


def test_the_scanner_sees_imports_at_any_depth():
    source = (
        "from tiers.places.models import Membership\n"
        "def f():\n    import tiers.places.services\n"
        "from tiers import places\n"
        "from tiers.accounts.models import User\n"
    )
    assert upward(imported_modules(source)) == {
        "tiers.places.models",
        "tiers.places.models.Membership",
        "tiers.places.services",
        "tiers.places",
    }


def test_accounts_does_not_import_the_apps_above_it():
    files = sorted(ACCOUNTS_DIR.rglob("*.py"))
    assert ACCOUNTS_DIR / "services.py" in files
    offending = {
        str(path.relative_to(ACCOUNTS_DIR)): sorted(found)
        for path in files
        if (found := upward(imported_modules(path.read_text(encoding="utf-8"))))
    }
    assert offending == {}
