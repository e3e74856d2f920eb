"""Places: the directory as JSON (list, detail) and writes for their managers."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["places"])
