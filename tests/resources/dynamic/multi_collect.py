"""Several ``Collect[]`` parameters in one function, nodes after collectors, a second block.

Block ``a`` computes squares and cubes; block ``b`` upper-cases words. ``pairs`` collects
two values of block ``a``; ``mixed`` collects from ``a`` and ``b`` at once; ``a_items``
collects the expander's items directly. ``summary`` runs after a collector, and
``second`` opens a new block over what ``pairs`` gathered.
"""

import time

from hamilflow.htypes import Collect, Parallelizable


def a(n_a: int) -> Parallelizable[int]:
    yield from range(n_a)


def a_sq(a: int, n_a: int, delay: float) -> int:
    time.sleep(delay * (n_a - a))
    return a * a


def a_cube(a: int) -> int:
    return a**3


def b(words: list[str]) -> Parallelizable[str]:
    return iter(words)


def b_up(b: str, delay: float) -> str:
    time.sleep(delay * len(b))
    return b.upper()


def pairs(a_sq: Collect[int], a_cube: Collect[int]) -> list[tuple[int, int]]:
    return list(zip(a_sq, a_cube))


def mixed(a_sq: Collect[int], b_up: Collect[str]) -> dict[str, list]:
    return {"a_sq": list(a_sq), "b_up": list(b_up)}


def a_items(a: Collect[int]) -> list[int]:
    return list(a)


def summary(mixed: dict[str, list], pairs: list[tuple[int, int]]) -> str:
    """After two collectors."""
    return f"{sum(mixed['a_sq'])}/{len(mixed['b_up'])}/{len(pairs)}"


def second(pairs: list[tuple[int, int]]) -> Parallelizable[tuple[int, int]]:
    """A second block, after the first one closed."""
    yield from pairs


def second_diff(second: tuple[int, int], summary: str) -> int:
    return second[1] - second[0]


def second_total(second_diff: Collect[int]) -> int:
    return sum(second_diff)
