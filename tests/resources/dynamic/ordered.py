"""Items that finish out of order: item ``slow_item`` sleeps, the others do not.

``finished`` records ``done <item>`` when an item completes, so a test can see the
completion order, and ``in_order`` shows that collecting restores the item order.
"""

import time

from hamilflow.htypes import Collect, Parallelizable
from tests.resources.dynamic.calls import record


def item(n_items: int) -> Parallelizable[int]:
    return list(range(n_items))


def finished(item: int, slow_item: int, slow_seconds: float, log_path: str) -> int:
    if item == slow_item:
        time.sleep(slow_seconds)
    record(log_path, f"done {item}")
    return item * 10


def in_order(finished: Collect[int]) -> list[int]:
    return list(finished)
