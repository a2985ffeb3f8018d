"""The plan: what runs, as which tasks, in which blocks — plain data shared by every back end.

A plan is computed from a graph, the outputs requested and a grouping strategy. It is
pure data (strings and tuples), so it can be written into an Airflow DAG file, sent to a
worker, or compared. Its ``fingerprint`` hashes the plan together with the source of
every function it runs: if either changes, so does the fingerprint, which is how a
compiled DAG file notices that the pipeline has moved on.

    >>> import types
    >>> m = types.ModuleType("m")
    >>> exec("def b(a: int) -> int:\\n    return a + 1", m.__dict__)
    >>> from hamilflow.graph import FunctionGraph
    >>> plan = build_plan(FunctionGraph.from_modules(m), ["b"])
    >>> [(t.name, t.nodes, t.external_inputs) for t in plan.tasks]
    [('b', ('b',), ('a',))]
"""

from __future__ import annotations

import hashlib
import inspect
import json
import types
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from hamilflow.errors import ExecutionRequestError
from hamilflow.execution.grouping import GroupByRepeatableBlocks, GroupingStrategy

if TYPE_CHECKING:
    from hamilflow.graph import FunctionGraph

Path = tuple[str, ...]


@dataclass(frozen=True)
class TaskSpec:
    """One task of a plan.

    ``nodes`` run in order; ``inputs`` are values computed by other tasks,
    ``external_inputs`` come from the caller (inputs, config, overrides); ``outputs`` are
    the values other tasks or the caller need. ``path`` is the block path: the task runs
    once per item of each block in it. ``expanders`` are the nodes of this task that
    open blocks; ``collects`` maps each collected value to the block expander it gathers over.
    """

    name: str
    nodes: tuple[str, ...]
    path: Path
    inputs: tuple[str, ...]
    external_inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    expanders: tuple[str, ...] = ()
    collects: tuple[tuple[str, str], ...] = ()

    @property
    def collected(self) -> dict[str, str]:
        return dict(self.collects)


@dataclass(frozen=True)
class Plan:
    """The tasks to run for ``final_vars``, in topological order, and where each value lives.

    ``value_paths`` gives, for every value a task reads or writes, the block path of the
    value (an expander's items live inside its own block); ``producer`` maps a computed
    value to the task that computes it.
    """

    tasks: tuple[TaskSpec, ...]
    final_vars: tuple[str, ...]
    overrides: tuple[str, ...]
    value_paths: dict[str, Path]
    producer: dict[str, str]
    code_digest: str = field(default="", compare=False)

    def read_modes(self, spec: TaskSpec) -> list[tuple[str, str, int]]:
        """How an instance of ``spec`` finds each computed input, as ``(value, mode, depth)``.

        ``value``: the value at the first ``depth`` numbers of the instance's index;
        ``item``: item ``index[depth]`` of an expander's items; ``collect``: the value for
        every item of the block ``value_paths[value][-1]``; ``all items``: an expander's
        items, collected whole. Every back end reads inputs this way.
        """
        modes = []
        collected = spec.collected
        for value in spec.inputs:
            path = self.value_paths[value]
            is_items = bool(path) and path[-1] == value  # an expander's own value is its items
            if value in collected:
                modes.append((value, "all items" if is_items else "collect", len(path) - 1))
            elif is_items:
                modes.append((value, "item", len(path) - 1))
            else:
                modes.append((value, "value", len(path)))
        return modes

    def gather_inputs(
        self,
        modes: list[tuple[str, str, int]],
        index: tuple[int, ...],
        value_at: Callable[[str, tuple[int, ...]], Any],
        item_at: Callable[[str, tuple[int, ...]], Any],
        count_of: Callable[[str, tuple[int, ...]], int],
    ) -> dict[str, Any]:
        """The computed inputs of the instance at ``index``, read as :meth:`read_modes` says.

        Back ends differ only in where values live, so they pass three lookups:
        ``value_at(node, index)``, ``item_at(expander, item index)`` and
        ``count_of(expander, index)`` (how many items the expander produced there).
        """
        values = {}
        for value, mode, depth in modes:
            if mode == "value":
                values[value] = value_at(value, index[:depth])
            elif mode == "item":
                values[value] = item_at(value, index[: depth + 1])
            else:
                prefix = index[:depth]
                expander = self.value_paths[value][-1]
                read = item_at if mode == "all items" else value_at
                values[value] = [read(value, prefix + (i,)) for i in range(count_of(expander, prefix))]
        return values

    @property
    def task(self) -> dict[str, TaskSpec]:
        return {t.name: t for t in self.tasks}

    @property
    def fingerprint(self) -> str:
        """A stable hash of the plan's structure and the code of every node it runs."""
        body = json.dumps(self.to_dict(with_digest=False), sort_keys=True)
        return hashlib.sha256((body + self.code_digest).encode()).hexdigest()[:16]

    def to_dict(self, with_digest: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not with_digest:
            data.pop("code_digest")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        tasks = tuple(TaskSpec(**{k: _tuples(v) for k, v in t.items()}) for t in data["tasks"])
        return cls(
            tasks=tasks,
            final_vars=tuple(data["final_vars"]),
            overrides=tuple(data["overrides"]),
            value_paths={k: tuple(v) for k, v in data["value_paths"].items()},
            producer=dict(data["producer"]),
            code_digest=data.get("code_digest", ""),
        )


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _code_text(code: types.CodeType) -> str:
    """A stable text for a code object whose source is not on disk (``exec``, notebooks).

    Nested code objects (lambdas, comprehensions, inner functions) are spelled out
    recursively: their ``repr`` holds a memory address, which differs between processes.
    """
    consts = [_code_text(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts]
    return repr((code.co_code, consts, code.co_names))


def _source_digest(graph: FunctionGraph, names: Iterable[str]) -> str:
    """A hash of the user code behind ``names``: their functions' source, decorators included.

    A decorated node's callable is often Hamilton's wrapper, whose source never changes; the
    user's functions it came from (``originating_functions``) are what a code change touches.
    """
    digest = hashlib.sha256()
    texts: dict[int, bytes] = {}  # one function can make many nodes (@parameterize, @extract_columns)
    for name in names:
        node = graph.nodes[name]
        digest.update(name.encode() + b"\0")
        for fn in node.originating_functions or (node.callable,):
            text = texts.get(id(fn))
            if text is None:
                try:
                    text = texts[id(fn)] = inspect.getsource(fn).encode()
                except (OSError, TypeError):
                    text = texts[id(fn)] = _code_text(fn.__code__).encode()
            digest.update(text + b"\0")
    return digest.hexdigest()


def _group_name(group: list[str], taken: set[str]) -> str:
    if len(group) == 1:
        name = group[0]
    elif len(group) <= 3:
        name = "__".join(group)
    else:
        name = f"{group[0]}__to__{group[-1]}"
    base, suffix = name, 2
    while name in taken:
        name, suffix = f"{base}_{suffix}", suffix + 1
    taken.add(name)
    return name


def _check_overrides(graph: FunctionGraph, overrides: Iterable[str], to_run: set[str]) -> None:
    """Refuse overrides of block values that nodes still to run would read item by item.

    An override is one value. An expander's value opens a block (one branch per item), and
    a value inside a block exists once per item, so neither can be replaced by one value
    while nodes that read them run.
    """
    problems = []
    for name in overrides:
        node = graph.nodes.get(name)
        if node is None or node.is_external_input:
            continue
        readers = [d for d in node.dependents if d in to_run]
        if not readers:
            continue
        users = ", ".join(f"'{r}'" for r in readers)
        if node.is_expander:
            problems.append(
                f"override '{name}' replaces a Parallelizable[] node ({node.where}), whose items open the "
                f"block that {users} read(s); one value cannot open a block. Override the inputs of '{name}' "
                "instead, or request only nodes that do not read it."
            )
        elif graph.blocks.path_of(name):
            problems.append(
                f"override '{name}' replaces a value computed once per item of the Parallelizable block "
                f"'{graph.blocks.path_of(name)[-1]}' ({node.where}), read by {users}; an override is one value, "
                "not one per item. Override a value outside the block, or the block's expander's inputs."
            )
    if problems:
        raise ExecutionRequestError(problems)


def _in_dependency_order(tasks: list[TaskSpec], producer: dict[str, str]) -> tuple[TaskSpec, ...]:
    """Tasks sorted so each comes after the tasks it reads from (a group can start early in
    node order yet read a task that starts later); ties keep the grouping's order."""
    import heapq

    position = {t.name: i for i, t in enumerate(tasks)}
    upstream = {t.name: {producer[v] for v in t.inputs} for t in tasks}
    downstream: dict[str, list[str]] = {t.name: [] for t in tasks}
    for name, sources in upstream.items():
        for source in sources:
            downstream[source].append(name)
    waiting = {name: len(sources) for name, sources in upstream.items()}
    ready = [(position[n], n) for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, name = heapq.heappop(ready)
        ordered.append(tasks[position[name]])
        for dependent in downstream[name]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, (position[dependent], dependent))
    if len(ordered) != len(tasks):
        raise ValueError("grouping produced tasks that depend on each other in a cycle")
    return tuple(ordered)


def build_plan(
    graph: FunctionGraph,
    final_vars: Iterable[str],
    overrides: Iterable[str] = (),
    grouping: GroupingStrategy | None = None,
    fingerprint: bool = True,
) -> Plan:
    """Plan the tasks that compute ``final_vars``; nodes named in ``overrides`` are not run.

    ``fingerprint=False`` skips hashing the functions' source (for plans never compared).
    """
    final_vars = tuple(final_vars)
    overrides = tuple(sorted(set(overrides)))
    needed = graph.upstream(final_vars, stop_at=overrides)
    to_run = [n for n in graph.sorted(needed) if not graph.nodes[n].is_external_input and n not in overrides]
    _check_overrides(graph, overrides, set(to_run))
    groups = (grouping or GroupByRepeatableBlocks()).group(graph, to_run)
    producer: dict[str, str] = {}
    taken = set(graph.nodes)
    names = []
    for group in groups:
        name = group[0] if len(group) == 1 else _group_name(group, taken)
        names.append(name)
        for node in group:
            producer[node] = name
    # values needed outside the task that computes them
    used_outside: set[str] = set(final_vars)
    for group, name in zip(groups, names):
        for node in group:
            used_outside.update(p for p in graph.nodes[node].input_types if producer.get(p) != name)
    value_paths: dict[str, Path] = {}
    tasks = []
    for group, name in zip(groups, names):
        members = set(group)
        reads: list[str] = []
        for node in group:
            for p in graph.nodes[node].input_types:
                if p not in members and p not in reads and p in needed:
                    reads.append(p)
        for value in reads + group:
            value_paths[value] = graph.blocks.value_path(value, graph.nodes)
        collects = tuple((p, value_paths[p][-1]) for node in group for p in sorted(graph.nodes[node].collect_params))
        expanders = tuple(n for n in group if graph.nodes[n].is_expander)
        paths = {graph.blocks.path[n] for n in group}
        if len(paths) != 1:
            raise ValueError(f"grouping put nodes of different blocks in one task: {group}")
        tasks.append(
            TaskSpec(
                name=name,
                nodes=tuple(group),
                path=paths.pop(),
                inputs=tuple(p for p in reads if p in producer),
                external_inputs=tuple(p for p in reads if p not in producer),
                outputs=tuple(n for n in group if n in used_outside or n in expanders),
                expanders=expanders,
                collects=collects,
            )
        )
    for value in final_vars:
        if value in graph.nodes:  # unknown names are the request check's to report, with suggestions
            value_paths.setdefault(value, graph.blocks.value_path(value, graph.nodes))
    return Plan(
        tasks=_in_dependency_order(tasks, producer),
        final_vars=final_vars,
        overrides=overrides,
        value_paths=value_paths,
        producer=producer,
        code_digest=_source_digest(graph, to_run) if fingerprint else "",
    )
