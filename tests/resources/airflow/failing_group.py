"""A block of three nodes, grouped into one mapped task, whose middle node fails for one region."""

from hamilflow.htypes import Collect, Parallelizable


def region() -> Parallelizable[str]:
    yield from ["north", "south", "east"]


def prepared(region: str) -> str:
    return region.upper()


def scored(prepared: str) -> int:
    if prepared == "SOUTH":
        raise ValueError(f"no model for {prepared}")
    return len(prepared)


def checked(scored: int) -> int:
    return scored


def total(checked: Collect[int]) -> int:
    return sum(checked)
