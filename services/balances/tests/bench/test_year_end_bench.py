"""The year-end bench (`services/balances/bench/year_end.py`, run by `make bench`) still
seeds through the ports and closes every seeded employee, on a handful of people."""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "year_end.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("balances_year_end_bench", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bench_closes_every_seeded_employee(capsys: pytest.CaptureFixture[str]) -> None:
    year = date.today().year - 1
    assert _bench().main(["--employees", "1100", "--year", str(year)]) == 0
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    assert lines[0] == {"year": year, "total": 1100}
    assert [m["processed"] for m in lines if "processed" in m] == [1000, 1100]
    result = lines[-1]["result"]
    assert (result["employees"], result["carried"]) == (1100, 3300)
    assert result["seconds"] > 0
