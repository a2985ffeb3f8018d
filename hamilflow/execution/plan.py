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
    >>> [(t.name, t.nodes, t.external) for t in plan.tasks]
    [('b', ('b',), ('a',))]
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import inspect
import json
import linecache
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from hamilflow.errors import ExecutionRequestError, HamilflowError
from hamilflow.execution.code_text import without_comments
from hamilflow.execution.grouping import GroupByRepeatableBlocks, GroupingStrategy

if TYPE_CHECKING:
    from hamilflow.graph import FunctionGraph
    from hamilflow.node import Node

Path = tuple[str, ...]


class ReadKind(str, enum.Enum):
    """How an instance of a task finds one computed input (see :class:`Read`)."""

    VALUE = "value"  # the value at the first ``depth`` numbers of the instance's index
    ITEM = "item"  # item ``index[depth]`` of an expander's items
    COLLECT = "collect"  # the value at every item of a block, in item order
    ALL_ITEMS = "all items"  # an expander's items, collected whole


@dataclass(frozen=True)
class Read:
    """One computed input of a task and how its instances read it.

    ``depth`` is how many numbers of an instance's index locate the value (for ``ITEM``,
    the items' list; for ``COLLECT``, the block). ``block`` names the expander whose
    items a ``COLLECT``/``ALL_ITEMS`` read gathers over. ``producer`` is the task that
    computes the value.
    """

    value: str
    kind: ReadKind
    depth: int
    producer: str
    block: str = ""

    @property
    def gathers(self) -> bool:
        """True when one instance reads the value of every item of a block."""
        return self.kind in (ReadKind.COLLECT, ReadKind.ALL_ITEMS)


@dataclass(frozen=True)
class TaskSpec:
    """One task of a plan: what it runs, what it reads, and what it must keep alive.

    ``nodes`` run in order. ``reads`` are the values other tasks compute, each with how an
    instance finds it; ``external`` come from the caller (inputs, config, overrides);
    ``outputs`` are the values other tasks or the caller need. ``path`` is the block
    path: the task runs once per item of each block in it. ``expanders`` are its nodes
    that open blocks; ``upstream`` the tasks it reads from.

    Two facts let every back end release memory early and agree on chunk listing:

    * ``holds``: ``(value, depth)`` pairs that tasks inside this task's blocks will read;
      an instance keeps them alive until its blocks are open (their readers then exist);
    * ``drops``: for each node, the values this task no longer needs once it has run;
    * ``lists_own_chunks``: a top-level task with exactly one expander returns its own
      block's chunks to Airflow; any other block is listed by an ``<expander>_items`` task.
    """

    name: str
    nodes: tuple[str, ...]
    path: Path
    reads: tuple[Read, ...]
    external: tuple[str, ...]
    outputs: tuple[str, ...]
    expanders: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    holds: tuple[tuple[str, int], ...] = ()
    drops: tuple[tuple[str, ...], ...] = ()
    lists_own_chunks: bool = False

    @property
    def inputs(self) -> tuple[str, ...]:
        """The computed values this task reads."""
        return tuple(read.value for read in self.reads)


@dataclass(frozen=True)
class Plan:
    """The tasks to run for ``final_vars``, in dependency order, and where each value lives.

    ``value_paths`` gives, for every value a task reads or writes, the block path of the
    value (an expander's items live inside its own block); ``producer`` maps a computed
    value to the task that computes it. ``item_policies`` gives, for expanders whose block
    may lose items, the fraction that must succeed (see :mod:`hamilflow.execution.item_failures`).
    """

    tasks: tuple[TaskSpec, ...]
    final_vars: tuple[str, ...]
    overrides: tuple[str, ...]
    value_paths: dict[str, Path]
    producer: dict[str, str]
    code_digest: str = field(default="", compare=False)
    item_policies: dict[str, float] = field(default_factory=dict)

    @functools.cached_property
    def task(self) -> dict[str, TaskSpec]:
        """Tasks by name."""
        return {t.name: t for t in self.tasks}

    @functools.cached_property
    def tasks_at(self) -> dict[Path, tuple[str, ...]]:
        """The names of the tasks at each block path, in plan order."""
        found: dict[Path, list[str]] = {}
        for t in self.tasks:
            found.setdefault(t.path, []).append(t.name)
        return {path: tuple(names) for path, names in found.items()}

    @functools.cached_property
    def collected_in(self) -> dict[str, tuple[str, ...]]:
        """For each block (by expander), the values collectors gather per item (``COLLECT`` reads)."""
        found: dict[str, list[str]] = {}
        for t in self.tasks:
            for read in t.reads:
                if read.kind is ReadKind.COLLECT:
                    found.setdefault(read.block, []).append(read.value)
        return {block: tuple(values) for block, values in found.items()}

    @property
    def fingerprint(self) -> str:
        """A stable hash of the plan's structure and the code of every node it runs."""
        body = json.dumps(self.to_dict(with_digest=False), sort_keys=True)
        return hashlib.sha256((body + self.code_digest).encode()).hexdigest()[:16]

    def to_dict(self, with_digest: bool = True) -> dict[str, Any]:
        data = {
            "tasks": [_task_dict(t) for t in self.tasks],
            "final_vars": list(self.final_vars),
            "overrides": list(self.overrides),
            "value_paths": {k: list(v) for k, v in self.value_paths.items()},
            "producer": dict(self.producer),
        }
        if self.item_policies:  # only when set, so that plans without a policy keep their fingerprint
            data["item_policies"] = dict(self.item_policies)
        if with_digest:
            data["code_digest"] = self.code_digest
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        tasks = []
        for t in data["tasks"]:
            fields = {k: _tuples(v) for k, v in t.items() if k != "reads"}
            reads = tuple(Read(**{**r, "kind": ReadKind(r["kind"])}) for r in t["reads"])
            tasks.append(TaskSpec(reads=reads, **fields))
        return cls(
            tasks=tuple(tasks),
            final_vars=tuple(data["final_vars"]),
            overrides=tuple(data["overrides"]),
            value_paths={k: tuple(v) for k, v in data["value_paths"].items()},
            producer=dict(data["producer"]),
            code_digest=data.get("code_digest", ""),
            item_policies=dict(data.get("item_policies", {})),
        )


_TASK_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))
_READ_FIELDS = tuple(f.name for f in dataclasses.fields(Read))


def _task_dict(task: TaskSpec) -> dict[str, Any]:
    """``asdict(task)`` with read kinds as text, without ``asdict``'s deep copies (a plan has thousands)."""
    data: dict[str, Any] = {}
    for name in _TASK_FIELDS:
        value = getattr(task, name)
        if name == "reads":
            value = [{f: getattr(r, f).value if f == "kind" else getattr(r, f) for f in _READ_FIELDS} for r in value]
        data[name] = value
    return data


def gather_inputs(
    spec: TaskSpec,
    index: tuple[int, ...],
    value_at: Callable[[str, tuple[int, ...]], Any],
    item_at: Callable[[str, tuple[int, ...]], Any],
    count_of: Callable[[str, tuple[int, ...]], int],
) -> dict[str, Any]:
    """The computed inputs of the instance of ``spec`` at ``index``, read as its ``reads`` say.

    Back ends differ only in where values live, so they pass three lookups:
    ``value_at(node, index)``, ``item_at(expander, item index)`` and
    ``count_of(expander, index)`` (how many items the expander produced there).
    A task's reads say everything, so a back end that holds one task needs no whole plan.
    """
    values = {}
    for read in spec.reads:
        kind, depth = read.kind, read.depth
        if kind is ReadKind.VALUE:
            values[read.value] = value_at(read.value, index[:depth])
        elif kind is ReadKind.ITEM:
            values[read.value] = item_at(read.value, index[: depth + 1])
        else:
            prefix = index[:depth]
            fetch = item_at if kind is ReadKind.ALL_ITEMS else value_at
            values[read.value] = [fetch(read.value, prefix + (i,)) for i in range(count_of(read.block, prefix))]
    return values


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _code_text(code: types.CodeType) -> str:
    """A stable text for a code object whose source is not on disk (``exec``, notebooks).

    Nested code objects (lambdas, comprehensions, inner functions) are spelled out
    recursively: their ``repr`` holds a memory address, which differs between processes.
    """
    return repr((code.co_code, [_const_text(c) for c in code.co_consts], code.co_names))


def _const_text(const: Any) -> str:
    """A constant's text, the same in every process: a frozenset (``x in {"a", "b"}``) is listed
    in sorted order, since its own order follows string hashing, which differs per process."""
    if isinstance(const, types.CodeType):
        return _code_text(const)
    if isinstance(const, frozenset):
        return "frozenset(" + repr(sorted(_const_text(c) for c in const)) + ")"
    if isinstance(const, tuple):
        return "(" + ", ".join(_const_text(c) for c in const) + ")"
    return repr(const)


def _last_line(code: types.CodeType) -> int:
    """The last line of a function's source: where its last instruction (or a nested function's) ends."""
    positions = getattr(code, "co_positions", None)  # Python 3.11+: each instruction's end line
    ends = [end for _, end, _, _ in positions()] if positions else [line for _, _, line in code.co_lines()]
    last = max((line for line in ends if line is not None), default=code.co_firstlineno)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            last = max(last, _last_line(const))
    return last


def _function_text(fn: Callable[..., Any], checked: set[str]) -> bytes:
    """A function's source, decorators included: its lines of its file, from the line table of its code.

    The same text ``inspect.getsource`` finds, without tokenizing the file from each function on: a
    5,000-function module is read once. Functions without a file fall back to their code objects.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        try:
            return inspect.getsource(fn).encode()
        except (OSError, TypeError):
            return repr(fn).encode()
    filename = code.co_filename
    if filename not in checked:
        linecache.checkcache(filename)  # the file as it is now, as inspect.getsource reads it
        checked.add(filename)
    lines = linecache.getlines(filename)
    if not lines or code.co_firstlineno > len(lines):
        return _code_text(code).encode()
    return without_comments("".join(lines[code.co_firstlineno - 1 : _last_line(code)]).encode())


def node_code_text(node: Node) -> bytes:
    """The user code behind one node: its functions' source (decorators in, comments out), as the fingerprint
    reads it. A node made by Hamilton's decorators is its originating functions' code."""
    checked: set[str] = set()
    return b"\0".join(_function_text(fn, checked) for fn in node.originating_functions or (node.callable,))


def _source_digest(graph: FunctionGraph, names: Iterable[str]) -> str:
    """A hash of the user code behind ``names``: their functions' source, decorators included.

    A decorated node's callable is often Hamilton's wrapper, whose source never changes; the
    user's functions it came from (``originating_functions``) are what a code change touches.
    """
    digest = hashlib.sha256()
    texts: dict[int, bytes] = {}  # one function can make many nodes (@parameterize, @extract_columns)
    checked: set[str] = set()
    for name in names:
        node = graph.nodes[name]
        digest.update(name.encode() + b"\0")
        for fn in node.originating_functions or (node.callable,):
            text = texts.get(id(fn))
            if text is None:
                text = texts[id(fn)] = _function_text(fn, checked)
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


def _read(value: str, value_path: Path, collected: bool, producer: str) -> Read:
    """How an instance reads ``value``, from where the value lives and whether it is collected."""
    is_items = bool(value_path) and value_path[-1] == value  # an expander's own value is its items
    if collected:
        kind = ReadKind.ALL_ITEMS if is_items else ReadKind.COLLECT
        return Read(value, kind, len(value_path) - 1, producer, block=value_path[-1])
    if is_items:
        return Read(value, ReadKind.ITEM, len(value_path) - 1, producer)
    return Read(value, ReadKind.VALUE, len(value_path), producer)


def _drops(
    graph: FunctionGraph, group: list[str], keep: set[str], requested: set[str] = frozenset()
) -> tuple[tuple[str, ...], ...]:
    """For each node of a task, the values the task can let go of once that node has run.

    A value goes after its last reader inside the task, unless the task returns it or
    the caller asked for it (``keep``, ``requested``).
    """
    last_reader: dict[str, int] = {}
    for position, node in enumerate(group):
        for param in graph.nodes[node].input_types:
            last_reader[param] = position
    drops: list[list[str]] = [[] for _ in group]
    for value, position in last_reader.items():
        if value not in keep and value not in requested:
            drops[position].append(value)
    for position, node in enumerate(group):  # computed but read by no one (nor returned)
        if node not in keep and node not in requested and node not in last_reader:
            drops[position].append(node)
    return tuple(tuple(d) for d in drops)


def _with_holds(tasks: list[TaskSpec]) -> list[TaskSpec]:
    """Give each task with expanders the reads its blocks' tasks will make of values outside them.

    Those readers are created only when the block opens (when this task's instance
    finishes), so until then this instance keeps the values alive for them. A ``COLLECT``
    read needs no hold: it reads values made inside the collector's own scope.
    """
    out = []
    for spec in tasks:
        if not spec.expanders:
            out.append(spec)
            continue
        depth = len(spec.path)
        inside = [spec.path + (expander,) for expander in spec.expanders]
        holds = {
            (read.value, read.depth)
            for other in tasks
            if any(other.path[: len(block)] == block for block in inside)
            for read in other.reads
            if read.kind is not ReadKind.COLLECT and read.depth <= depth
        }
        out.append(dataclasses.replace(spec, holds=tuple(sorted(holds))))
    return out


def _in_dependency_order(tasks: list[TaskSpec], producer: dict[str, str]) -> tuple[TaskSpec, ...]:
    """Tasks sorted so each comes after the tasks it reads from (a group can start early in
    node order yet read a task that starts later); ties keep the grouping's order."""
    import heapq

    position = {t.name: i for i, t in enumerate(tasks)}
    upstream = {t.name: set(t.upstream) for t in tasks}
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
        raise HamilflowError("grouping produced tasks that depend on each other in a cycle")
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
    final_set = set(final_vars)
    for group, name in zip(groups, names):
        members = set(group)
        read_names: dict[str, None] = {}  # in order, without repeats
        collected: set[str] = set()
        for node in group:
            collected.update(graph.nodes[node].collect_params)
            for p in graph.nodes[node].input_types:
                if p not in members and p not in read_names and p in needed:
                    read_names[p] = None
        for value in [*read_names, *group]:
            value_paths[value] = graph.blocks.value_path(value, graph.nodes)
        paths = {graph.blocks.path[n] for n in group}
        if len(paths) != 1:
            raise HamilflowError(f"grouping put nodes of different blocks in one task: {group}")
        path = paths.pop()
        reads = tuple(_read(v, value_paths[v], v in collected, producer[v]) for v in read_names if v in producer)
        expanders = tuple(n for n in group if graph.nodes[n].is_expander)
        outputs = tuple(n for n in group if n in used_outside or n in expanders)
        tasks.append(
            TaskSpec(
                name=name,
                nodes=tuple(group),
                path=path,
                reads=reads,
                external=tuple(p for p in read_names if p not in producer),
                outputs=outputs,
                expanders=expanders,
                upstream=tuple(dict.fromkeys(r.producer for r in reads)),
                drops=_drops(graph, group, set(outputs), final_set),
                lists_own_chunks=not path and len(expanders) == 1,
            )
        )
    tasks = _with_holds(tasks)
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
        item_policies=_item_policies(graph, to_run),
    )


def _item_policies(graph: FunctionGraph, to_run: list[str]) -> dict[str, float]:
    """Each expander's ``min_success_ratio`` tag, checked (see :mod:`hamilflow.execution.item_failures`)."""
    from hamilflow.execution import item_failures  # it reads plans: imported when plans are built

    found = {}
    for name in to_run:
        node = graph.nodes[name]
        if node.is_expander and item_failures.TAG in node.tags:
            found[name] = item_failures.policy_of(node.tags, name, node.where)
    return found
