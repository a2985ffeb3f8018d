"""Grouping strategies: which nodes run together as one task.

A task is the unit that crosses a boundary: a worker process, a Ray or Dask task, an
Airflow task. Fewer tasks mean less overhead; more tasks mean more parallelism and a more
detailed Airflow graph. Every strategy keeps a rule that makes any grouping safe: nodes
of one task share their block path and level (see :mod:`hamilflow.blocks`), and a task
never needs a value that another task computes from its own output.

    >>> from hamilflow.execution import grouping
    >>> strategy = grouping.GroupLinearChains()
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from hamilflow.errors import SettingError

if TYPE_CHECKING:
    from hamilflow.graph import FunctionGraph


class GroupingStrategy(abc.ABC):
    """Splits the nodes to run (in topological order) into groups, each run as one task."""

    @abc.abstractmethod
    def group(self, graph: FunctionGraph, nodes: list[str]) -> list[list[str]]:
        """Groups of node names; every group in topological order."""


def _group_by_key(graph: FunctionGraph, nodes: list[str], key) -> list[list[str]]:
    groups: dict[object, list[str]] = {}
    for name in nodes:
        groups.setdefault(key(name), []).append(name)
    return list(groups.values())


class GroupByRepeatableBlocks(GroupingStrategy):
    """The default: each top-level node is its own task; the nodes of a block run as one task per item.

    A block that collects an inner block is split where the inner collector sits, since
    everything after it must wait for all inner items.
    """

    def group(self, graph: FunctionGraph, nodes: list[str]) -> list[list[str]]:
        path, level = graph.blocks.path, graph.blocks.level
        return _group_by_key(graph, nodes, lambda n: n if not path[n] else (path[n], level[n]))


class GroupNodesIndividually(GroupingStrategy):
    """Every node is its own task, inside blocks too (one task per node per item)."""

    def group(self, graph: FunctionGraph, nodes: list[str]) -> list[list[str]]:
        return [[name] for name in nodes]


class GroupNodesAllAsOne(GroupingStrategy):
    """As few tasks as possible: one for a graph without blocks; one per block stage otherwise."""

    def group(self, graph: FunctionGraph, nodes: list[str]) -> list[list[str]]:
        path, level = graph.blocks.path, graph.blocks.level
        return _group_by_key(graph, nodes, lambda n: (path[n], level[n]))


class GroupNodesByLevel(GroupingStrategy):
    """One task per level: the nodes at the same distance from the inputs, which never read each other.

    As Hamilton's strategy of that name; inside blocks, levels are counted per block stage.
    """

    def group(self, graph: FunctionGraph, nodes: list[str]) -> list[list[str]]:
        planned = set(nodes)
        path, level = graph.blocks.path, graph.blocks.level
        depth: dict[str, int] = {}
        for name in nodes:  # in topological order: a node's inputs come first
            upstream = [depth[p] for p in graph.nodes[name].input_types if p in planned]
            depth[name] = 1 + max(upstream) if upstream else 0
        return _group_by_key(graph, nodes, lambda n: (path[n], level[n], depth[n]))


class GroupLinearChains(GroupingStrategy):
    """Merge each run of nodes where one feeds only the next: ``a -> b -> c`` becomes one task.

    Fan-outs and fan-ins keep their own tasks, so independent branches still run in parallel.
    """

    def group(self, graph: FunctionGraph, nodes: list[str]) -> list[list[str]]:
        planned = set(nodes)
        path, level = graph.blocks.path, graph.blocks.level
        group_of: dict[str, list[str]] = {}
        groups: list[list[str]] = []
        for name in nodes:
            node = graph.nodes[name]
            producers = [p for p in node.input_types if p in planned]
            target = None
            if len(producers) == 1:
                (producer,) = producers
                users = [d for d in graph.nodes[producer].dependents if d in planned]
                same_stage = path[producer] == path[name] and level[producer] == level[name]
                if users == [name] and same_stage and not graph.nodes[producer].is_expander:
                    target = group_of[producer]
            if target is None:
                target = []
                groups.append(target)
            target.append(name)
            group_of[name] = target
        return groups


# The strategies by the name a DAG file and `hamilflow compile --grouping` give them.
STRATEGIES: dict[str, type[GroupingStrategy]] = {
    "default": GroupByRepeatableBlocks,
    "individual": GroupNodesIndividually,
    "all": GroupNodesAllAsOne,
    "chains": GroupLinearChains,
    "levels": GroupNodesByLevel,
}


def strategy(name: str) -> GroupingStrategy:
    """The grouping strategy called ``name``.

    >>> type(strategy("chains")).__name__
    'GroupLinearChains'
    """
    try:
        return STRATEGIES[name]()
    except KeyError:
        raise SettingError(f"unknown grouping '{name}': choose one of {', '.join(STRATEGIES)}") from None
