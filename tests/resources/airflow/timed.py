"""Nodes that overrun their @tag(timeout=...) on Airflow (tests/airflow/test_timeouts.py).

``slow`` runs as a task of its own, which carries the limit as ``execution_timeout``;
``measured`` runs in a Parallelizable[] block, whose mapped task has none (an instance may
run several items): the runtime holds each item to the node's limit instead.
"""

import time

from hamilflow.function_modifiers import tag
from hamilflow.htypes import Collect, Parallelizable


def wait(seconds: float = 60.0) -> float:
    return seconds


@tag(timeout="2s")
def slow(wait: float) -> float:
    """Sleeps far past its 2 s limit."""
    time.sleep(wait)
    return wait


def after(slow: float) -> float:
    return slow + 1


def part(parts: int = 3) -> Parallelizable[int]:
    yield from range(parts)


@tag(timeout="2s")
def measured(part: int, wait: float, stuck_at: int = 1) -> int:
    """Part ``stuck_at`` sleeps far past its 2 s limit; the others return at once."""
    if part == stuck_at:
        time.sleep(wait)
    return part


def measured_total(measured: Collect[int]) -> int:
    return sum(measured)
