"""The core schemas' ``meta.schema`` descriptions equal the ones a real Hub sent in the recorded exchanges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flame_hub.testing._core_schemas import SCHEMAS
from flame_hub.testing._query import describe

CONTRACT = Path(__file__).resolve().parents[1] / "contract"


def recorded_descriptions() -> dict[tuple[str, str], dict]:
    """Return the first recorded ``meta.schema`` per (schema name, "list" or "record") of core responses."""
    found: dict[tuple[str, str], dict] = {}
    for path in sorted(CONTRACT.glob("*.json")):
        for step in json.loads(path.read_text())["steps"]:
            request = step.get("request") or {}
            body = (step.get("response") or {}).get("body")
            if not request.get("path", "").startswith("/core/") or not isinstance(body, dict):
                continue
            meta = body.get("meta")
            if isinstance(meta, dict) and "schema" in meta:
                kind = "list" if "total" in meta else "record"
                found.setdefault((meta["schema"]["name"], kind), meta["schema"])
    return found


RECORDED = recorded_descriptions()


def test_recordings_cover_core_schemas():
    assert len(RECORDED) >= 20


@pytest.mark.parametrize(("name", "kind"), sorted(RECORDED), ids=lambda value: str(value))
def test_schema_description_matches_recording(name, kind):
    assert describe(SCHEMAS[name], record=kind == "record") == RECORDED[(name, kind)]
