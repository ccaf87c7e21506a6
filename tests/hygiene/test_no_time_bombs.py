"""No test carries a literal future date: such a test turns red (or tests something else) by
itself on the day that date passes.

The rule, for every ``*.py`` under ``tests/``, ``libs/*/tests`` and ``services/*/tests``:

- A *future year* is a year after the current one written as a date literal: an ISO date or
  month in a string (``"YYYY-03-04"``, ``"YYYY-03"``), a ``date(YYYY, ...)`` /
  ``datetime(YYYY, ...)`` call, or a year keyword (``year=YYYY``, ``"year": YYYY``).
  Past and current years are fine, and so is 9999, the last year ``date`` holds (an edge
  value nobody reaches).
- In ``tests/`` (the stack as processes, on the real clock) there is no exception: compute
  dates from today (``leaveflow_devstack.testing.coming_monday`` / ``coming_mondays`` pick a
  coming week, optionally free of a holiday calendar's days).
- A package's own tests (``libs/*/tests``, ``services/*/tests``) may use literal future dates
  when the code under test never reads the real clock -- pure functions of the dates given,
  or an injected clock (``FakeClock``, a ``clock`` fixture returning a fixed time). Such a
  file says so in a comment line ``# fixed-clock: <why>``, and must then not read the real
  clock itself (``date.today()``, ``datetime.now()``, ``time.time()``): a file that needs
  the real today computes its dates from it instead.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("tests", "libs/*/tests", "services/*/tests")
NO_EXCEPTIONS = ROOT / "tests"

YEAR_LITERALS = (
    re.compile(r"(?<![\w-])(\d{4})-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?(?!\w)"),
    re.compile(r"\b(?:date|datetime)\(\s*(?:year\s*=\s*)?(\d{4})\b"),
    re.compile(r"""\byears?\b["']?\s*(?:==?|:)\s*(\d{4})\b"""),
)
MARKER = re.compile(r"^\s*#\s*fixed-clock:\s*\S.{9,}$", re.MULTILINE)
REAL_CLOCK = re.compile(r"\b(?:date\.today|datetime\.now|datetime\.utcnow|time\.time)\(")


def future_years(line: str, current_year: int) -> list[int]:
    """The literal years after `current_year` that `line` writes as dates."""
    return [
        int(found.group(1))
        for pattern in YEAR_LITERALS
        for found in pattern.finditer(line)
        if current_year < int(found.group(1)) < date.max.year
    ]


def offences(path: Path, text: str, current_year: int) -> list[str]:
    """What is wrong with one test file under the rule above (empty when nothing)."""
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    dated = [
        f"{where}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if future_years(line, current_year)
    ]
    marked = MARKER.search(text) is not None
    if marked and path.is_relative_to(NO_EXCEPTIONS):
        return [f"{where}: `# fixed-clock:` is not allowed in tests/ (the real clock runs)"]
    if marked and (clock := REAL_CLOCK.search(text)):
        return [f"{where}: says `# fixed-clock:` but reads the real clock ({clock.group(0)})"]
    return [] if marked else dated


def scanned_files() -> list[Path]:
    files = {p for pattern in SCANNED for d in ROOT.glob(pattern) for p in d.rglob("*.py")}
    return sorted(p for p in files if "node_modules" not in p.parts)


def test_no_test_file_dates_anything_in_a_future_year() -> None:
    files = scanned_files()
    assert len(files) > 50  # the globs still find the suite
    found = [o for path in files for o in offences(path, path.read_text(), date.today().year)]
    assert not found, "literal future dates (compute them from today):\n" + "\n".join(found)


def test_the_patterns_find_future_dates_and_leave_other_numbers() -> None:
    # Relative to a current year of 2000, so this file holds no future year itself.
    dated = [
        '"start_date": "2001-04-19"',
        "month=2001-04",
        "date(2001, 4, 19)",
        "datetime(year=2001, month=1, day=1)",
        'params={"year": 2003}',
        "years=2001",
        "assert parse(x).year == 2002",
    ]
    for line in dated:
        assert future_years(line, 2000), line
    plain = [
        '"2000-04-19"',
        '"9999-12-31"',
        "date(1999, 1, 1)",
        "key_size=2048",
        "port=4222",
        "uuid=1234abcd-2001-4abc",
        "f'{x}-2001'",
        "timeout=2030",
    ]
    for line in plain:
        assert not future_years(line, 2000), line


def test_the_marker_exempts_package_tests_only_and_only_off_the_real_clock() -> None:
    unit = ROOT / "services" / "x" / "tests" / "test_u.py"
    e2e = ROOT / "tests" / "e2e" / "test_e.py"
    literal = 'day = "2001-03-04"\n'
    marker = "# fixed-clock: pure functions of the dates given\n"
    assert offences(unit, literal, 2000) == ['services/x/tests/test_u.py:1: day = "2001-03-04"']
    assert offences(unit, marker + literal, 2000) == []
    assert offences(unit, "# fixed-clock: x\n" + literal, 2000)  # a reason is required
    assert "not allowed in tests/" in offences(e2e, marker + literal, 2000)[0]
    reads = marker + literal + "now = datetime.now(UTC)\n"
    assert "reads the real clock" in offences(unit, reads, 2000)[0]
    assert offences(unit, literal, 2001) == []  # a current-year date is fine
