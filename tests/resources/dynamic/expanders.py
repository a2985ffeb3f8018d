"""One block, with an expander chosen by config: a generator, a list, or another iterable.

``setting`` sits upstream of the block and ``item`` opens it: each must run once per run,
not once per item, which the log file (see :mod:`.calls`) shows. Items take different
times (earlier items are slower), so they finish out of order.
"""

import time

from hamilflow.function_modifiers import config
from hamilflow.htypes import Collect, Parallelizable
from tests.resources.dynamic.calls import record


def setting(offset: int, log_path: str) -> int:
    record(log_path, "setting")
    return offset * 1000


@config.when(source="generator")
def item__generator(setting: int, n_items: int, log_path: str) -> Parallelizable[int]:
    record(log_path, "item")
    for i in range(n_items):
        yield setting + i


@config.when(source="list")
def item__list(setting: int, n_items: int, log_path: str) -> Parallelizable[int]:
    record(log_path, "item")
    return [setting + i for i in range(n_items)]


@config.when(source="range")
def item__range(setting: int, n_items: int, log_path: str) -> Parallelizable[int]:
    record(log_path, "item")
    return range(setting, setting + n_items)


@config.when(source="dict_keys")
def item__dict_keys(setting: int, n_items: int, log_path: str) -> Parallelizable[int]:
    record(log_path, "item")
    return {setting + i: None for i in range(n_items)}.keys()


def processed(item: int, setting: int, n_items: int, delay: float, log_path: str) -> str:
    record(log_path, "processed")
    time.sleep(delay * (n_items - (item - setting)))
    return f"item-{item}"


def collected(processed: Collect[str]) -> list[str]:
    return list(processed)


def how_many(collected: list[str]) -> int:
    """A node after the collector."""
    return len(collected)
