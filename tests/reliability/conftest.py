"""The figures of issue 17's table, read from the suite: tests per area, and how many passed or failed.

Each test of ``tests/reliability`` belongs to one area (by its module, or by its name for the few that cross
over); after a run the terminal summary prints one row per area: tests tried, handled (passed), failures.
Every parametrized case is one test: a row of the bad-input table is one input tried.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

AREAS = {  # module -> area
    "test_reliability_bad_inputs": "bad inputs",
    "test_reliability_sessions": "hostile files",
    "test_reliability_store": "hostile files",
    "test_reliability_servers": "hostile servers",
    "test_reliability_canaries": "canaries",
    "test_reliability_races": "races",
    "test_reliability_kill": "kill -9",
}
ORDER = ["bad inputs", "hostile files", "hostile servers", "canaries", "kill -9", "races", "other"]


def area_of(item: Any) -> str:
    """The area of a collected test: a test about a killed process is 'kill -9' wherever it sits."""
    if "killed" in item.name or "kill_9" in item.name:
        return "kill -9"
    return AREAS.get(item.module.__name__.rsplit(".", 1)[-1], "other") if item.module else "other"


_tried: Counter[str] = Counter()
_passed: Counter[str] = Counter()
_failed: Counter[str] = Counter()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if "reliability" in str(item.fspath):
            _tried[area_of(item)] += 1


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    if "reliability" not in str(item.fspath):
        return
    if report.when == "call" and report.passed:
        _passed[area_of(item)] += 1
    elif report.failed:
        _failed[area_of(item)] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _tried:
        return
    write = terminalreporter.write_line
    write("")
    write("issue 17, tests/reliability by area: area | tried | handled | failures")
    for area in [a for a in ORDER if _tried[a]]:
        write(f"  {area:<16}| {_tried[area]:>5} | {_passed[area]:>7} | {_failed[area]:>3}")
    write(f"  {'total':<16}| {sum(_tried.values()):>5} | {sum(_passed.values()):>7} | {sum(_failed.values()):>3}")
