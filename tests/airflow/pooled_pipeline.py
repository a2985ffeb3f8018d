"""The same block twice: one whose mapped task runs in a pool of its own (``hamilflow_one_slot``), one in the
default pool. Automatic packing sizes each block from the pool its tasks run in."""

from hamilflow.function_modifiers import tag
from hamilflow.htypes import Collect, Parallelizable

CITIES = ["oslo", "lima", "pune", "kiev", "baku", "doha", "riga", "rome", "bern", "nice", "graz", "lodz"]


def city(cities: list = CITIES) -> Parallelizable[str]:  # noqa: B006
    """Items whose task calls a rate-limited service: it runs in a pool of one slot."""
    yield from cities


@tag(airflow_pool="hamilflow_one_slot")
def looked_up(city: str) -> int:
    return len(city)


def lookups(looked_up: Collect[int]) -> list:
    return list(looked_up)


def town(towns: list = CITIES) -> Parallelizable[str]:  # noqa: B006
    """The same items, their task in the default pool."""
    yield from towns


def measured(town: str) -> int:
    return len(town)


def measures(measured: Collect[int]) -> list:
    return list(measured)
