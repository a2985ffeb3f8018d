"""Several Collect[] parameters in one function, from one block and from two different blocks.

Block ``a`` computes squares and cubes; block ``b`` upper-cases words. ``pairs`` collects
two values of block ``a``; ``mixed`` collects from ``a`` and ``b`` at once; ``a_items``
collects the expander's items directly. ``summary`` runs after two collectors, and
``second`` opens a new block over what ``pairs`` gathered.
"""

from hamilflow.htypes import Collect, Parallelizable


def a(n_a: int = 4) -> Parallelizable[int]:
    """Numbers 0..n_a-1."""
    yield from range(n_a)


def a_sq(a: int) -> int:
    return a * a


def a_cube(a: int) -> int:
    return a**3


def b(words: list = ["ab", "cde", "f"]) -> Parallelizable[str]:  # noqa: B006
    return iter(words)


def b_up(b: str) -> str:
    return b.upper()


def pairs(a_sq: Collect[int], a_cube: Collect[int]) -> list:
    """Two values of the same block, collected together."""
    return [[s, c] for s, c in zip(a_sq, a_cube)]


def mixed(a_sq: Collect[int], b_up: Collect[str]) -> dict:
    """Values of two different blocks, collected by one function."""
    return {"a_sq": list(a_sq), "b_up": list(b_up)}


def a_items(a: Collect[int]) -> list:
    return list(a)


def summary(mixed: dict, pairs: list, a_items: list) -> str:
    """After three collectors."""
    return f"{sum(mixed['a_sq'])}/{'-'.join(mixed['b_up'])}/{len(pairs)}/{sum(a_items)}"


def second(pairs: list) -> Parallelizable[list]:
    """A second block, opened after the first one closed."""
    yield from pairs


def second_diff(second: list, summary: str) -> int:
    return second[1] - second[0] + len(summary)


def second_total(second_diff: Collect[int]) -> int:
    return sum(second_diff)
