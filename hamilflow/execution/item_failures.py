"""A block's partial-failure policy: items that fail are left out of the collection, and reported.

By default a failing item stops the run, as in Hamilton. An expander tagged
``@tag(min_success_ratio="0.9")`` lets its block lose items instead, as Flyte's map tasks do:
when any task of an item raises, that item's values are *dropped* — every later task of the
item is skipped, and the block's collectors receive the items that succeeded, in item
order. The run fails only when fewer than the given fraction of the block's items succeed
(``"0"``: any number may fail; ``"1"``: none may). Either way the failures are reported,
each naming the item, the node and the error.

A failure inside an inner block that has no policy of its own drops the item of the
nearest enclosing block that has one; without any, the run fails as usual. The policy is a
fact of the plan (:attr:`~hamilflow.execution.plan.Plan.item_policies`), so the local runner
and the Airflow runtime apply the same rule.

    >>> policy_of({"min_success_ratio": "0.75"}, "rows", "pipeline.py:3")
    0.75
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from hamilflow.errors import HamilflowError, HamilflowWarning, SettingError
from hamilflow.execution.plan import ReadKind

if TYPE_CHECKING:
    from hamilflow.execution.plan import TaskSpec

TAG = "min_success_ratio"


def policy_of(tags: Mapping[str, Any], expander: str, where: str) -> float | None:
    """The minimum fraction of items that must succeed in ``expander``'s block, from its tags (None: no policy)."""
    raw = tags.get(TAG)
    if raw is None:
        return None
    try:
        ratio = float(raw)
    except (TypeError, ValueError):
        ratio = float("nan")
    if not 0.0 <= ratio <= 1.0:
        raise SettingError(
            f"@tag({TAG}={raw!r}) on '{expander}' ({where}): give the fraction of items that must succeed, "
            f'between 0 and 1, as text (e.g. @tag({TAG}="0.9")).'
        )
    return ratio


@dataclass(frozen=True)
class ItemFailure:
    """One item left out of its block: where it was and what its node raised.

    It is also the *value* of every node of the item that did not run: it travels to the
    block's collectors (through the artifact store on Airflow), which leave it out and report it.
    """

    block: str
    index: tuple[int, ...]
    node: str
    error: str

    def __str__(self) -> str:
        return f"{self.block}{list(self.index)}: node '{self.node}' raised {self.error}"


def failure_for(
    path: tuple[str, ...], index: tuple[int, ...], policies: Mapping[str, float], node: str, error: BaseException
) -> ItemFailure | None:
    """The failure record of the item of the nearest block on ``path`` with a policy, or None (the run stops)."""
    for depth in range(len(path), 0, -1):
        if path[depth - 1] in policies:
            return ItemFailure(path[depth - 1], index[:depth], node, f"{type(error).__name__}: {error}"[:500])
    return None


def failed_node(error: BaseException, default: str) -> str:
    """The node an error was raised in, from the note the node runner adds, else ``default``."""
    for note in getattr(error, "__notes__", ()):
        if note.startswith("hamilflow: raised in node '"):
            return note.split("'")[1]
    return default


def screen(
    spec: TaskSpec,
    index: tuple[int, ...],
    values: dict[str, Any],
    policies: Mapping[str, float],
    lost_block: Callable[[str, tuple[int, ...]], ItemFailure | None],
    judged: Callable[[str, tuple[int, ...], int, list[ItemFailure]], None],
) -> ItemFailure | None:
    """Check an instance's inputs: the failure to pass on when it reads a dropped item, else None.

    Collections of blocks with a policy lose their failed items in place (``values`` changes),
    and ``judged`` is called with each such block instance, its item count and its failures.
    ``lost_block(block, prefix)`` tells whether a block instance never opened because the item
    that would have opened it was dropped.
    """
    for read in spec.reads:
        value = values[read.value]
        kind = read.kind
        if kind is ReadKind.VALUE or kind is ReadKind.ITEM:
            if type(value) is ItemFailure:
                return value
            continue
        prefix = index[: read.depth]
        lost = lost_block(read.block, prefix)
        if lost is not None:
            return lost
        if kind is ReadKind.ALL_ITEMS:
            continue
        failures = [v for v in value if type(v) is ItemFailure]
        if not failures:
            continue
        if read.block not in policies:
            return failures[0]  # the item of an enclosing block is lost with it
        judged(read.block, prefix, len(value), failures)
        values[read.value] = [v for v in value if type(v) is not ItemFailure]
    return None


class ItemFailuresWarning(HamilflowWarning):
    """Items of a block failed and were left out of its collection (the block's policy allowed it)."""

    def __init__(self, message: str, failures: list[ItemFailure]) -> None:
        super().__init__(message)
        self.failures = failures


class TooManyItemsFailedError(HamilflowError):
    """Fewer items of a block succeeded than its ``min_success_ratio`` asks."""

    def __init__(self, message: str, failures: list[ItemFailure]) -> None:
        super().__init__(message)
        self.failures = failures


def judge(block: str, ratio: float, total: int, failures: list[ItemFailure]) -> None:
    """Warn about a block's failed items, or raise when too few succeeded. Call once per block instance."""
    if not failures:
        return
    failures = sorted(failures, key=lambda f: f.index)
    kept = total - len(failures)
    listed = "\n".join(f"  - {f}" for f in failures[:20]) + ("\n  - ..." if len(failures) > 20 else "")
    summary = f"{len(failures)} of the {total} items of block '{block}' failed"
    if total and kept / total < ratio:
        raise TooManyItemsFailedError(
            f'{summary}; its @tag({TAG}="{ratio:g}") asks that at least {ratio:.0%} succeed:\n{listed}\n'
            "Fix the failing items, or lower the ratio if losing them is acceptable.",
            failures,
        )
    warnings.warn(
        ItemFailuresWarning(f"{summary} and were left out of its collection:\n{listed}", failures), stacklevel=2
    )
