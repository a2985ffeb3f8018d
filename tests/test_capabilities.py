"""docs/capabilities.md cannot drift: its tables agree, and every test it names exists.

The page has a summary matrix (feature x back end) and one table per back end giving each
feature's status, the tests that show it and a note. A ✅ or "partial" must name a test; the
named tests are looked up in what ``pytest --collect-only`` collects, so renaming or deleting
one fails here. A name with ``[...]`` must be a collected case exactly; a name without must be
a collected test function (any of its cases).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "capabilities.md"
BACK_ENDS = ["Driver", "threads", "processes", "Dask", "Ray", "Airflow"]
STATUSES = {"✅", "partial", "untested", "❌", "n/a"}
TEST_ID = re.compile(r"`(tests/[\w/]+\.py::\w+(?:\[[^\]`]+\])?)`")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(text: str) -> dict[str, list[list[str]]]:
    """Each ``## heading``'s table, as rows of cells (header and separator left out)."""
    tables: dict[str, list[list[str]]] = {}
    heading = None
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
        elif line.startswith("|") and heading is not None:
            tables.setdefault(heading, []).append(_cells(line))
    return {name: rows[2:] for name, rows in tables.items()}


@pytest.fixture(scope="module")
def tables() -> dict[str, list[list[str]]]:
    return _tables(PAGE.read_text())


@pytest.fixture(scope="module")
def named_tests(tables) -> dict[str, list[str]]:
    """Every test the back-end tables name, with the cells that name it."""
    named: dict[str, list[str]] = {}
    for back_end in BACK_ENDS:
        for feature, _, tests, _ in tables[back_end]:
            for test in TEST_ID.findall(tests):
                named.setdefault(test, []).append(f"{back_end} / {feature}")
    return named


def test_the_summary_and_each_back_ends_table_agree(tables) -> None:
    header = _cells(next(line for line in PAGE.read_text().splitlines() if line.startswith("| feature | Driver")))
    assert header == ["feature", *BACK_ENDS]
    summary = tables["Summary"]
    features = [row[0] for row in summary]
    assert len(features) == len(set(features)) >= 15
    for column, back_end in enumerate(BACK_ENDS, start=1):
        rows = tables[back_end]
        assert [row[0] for row in rows] == features, f"the {back_end} table lists other features than the summary"
        for row, (feature, status, _, _) in zip(summary, rows):
            assert row[column] == status, f"{back_end} / {feature}: the summary says {row[column]}, the table {status}"


def test_every_status_is_known_and_every_claim_names_a_test(tables) -> None:
    problems = []
    for back_end in BACK_ENDS:
        for row in tables[back_end]:
            assert len(row) == 4, f"{back_end}: a row needs feature | status | tests | note: {row}"
            feature, status, tests, note = row
            where = f"{back_end} / {feature}"
            if status not in STATUSES:
                problems.append(f"{where}: unknown status {status!r}")
            elif status in ("✅", "partial") and not TEST_ID.findall(tests):
                problems.append(f"{where}: {status} names no test (`tests/<file>.py::<test>`)")
            elif status not in ("✅", "partial") and tests:
                problems.append(f"{where}: {status} names tests; a test that shows the feature makes it ✅")
            if status not in ("✅",) and not note:
                problems.append(f"{where}: {status} needs a note saying why")
            if TEST_ID.sub("", tests).strip(" ,"):
                problems.append(f"{where}: the tests cell holds more than test ids: {tests!r}")
    assert problems == []


def _not_collected(named: dict[str, list[str]]) -> list[str]:
    """The named tests that ``pytest --collect-only`` of their files does not collect, with where they are named."""
    files = sorted({test.partition("::")[0] for test in named})
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    collected = {line.strip() for line in done.stdout.splitlines() if "::" in line}
    assert collected, done.stdout + done.stderr
    functions = {test.partition("[")[0] for test in collected}
    return [
        f"{test} (named for {', '.join(cells)})"
        for test, cells in sorted(named.items())
        if test not in collected and ("[" in test or test not in functions)
    ]


def test_every_named_test_exists(named_tests) -> None:
    assert _not_collected(named_tests) == [], "docs/capabilities.md names tests that pytest does not collect"


def test_a_renamed_test_or_case_would_be_caught() -> None:
    named = {
        "tests/test_cli.py::test_version": ["real"],
        "tests/test_executors.py::test_seed_map_reduce[dask]": ["real case"],
        "tests/test_executors.py::test_seed_map_reduce": ["real function, any case"],
        "tests/test_cli.py::test_version_renamed": ["gone"],
        "tests/test_executors.py::test_seed_map_reduce[spark]": ["no such case"],
    }
    assert _not_collected(named) == [
        "tests/test_cli.py::test_version_renamed (named for gone)",
        "tests/test_executors.py::test_seed_map_reduce[spark] (named for no such case)",
    ]
    assert TEST_ID.findall("tests/test_cli.py::test_version") == []  # only ids in backticks count
