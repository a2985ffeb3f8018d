"""The model of a compiled DAG: its tasks, their mapping, settings and TaskGroups, as values.

The compiler turns a plan into an :class:`AirflowDag` here; :mod:`hamilflow.compiler.render`
then writes it out as text, and decides nothing about the pipeline. Every plan task
becomes one :class:`AirflowTask`, named like the plan task. A task inside a
``Parallelizable`` block is mapped over the chunks of the block's items: a top-level
expander's task returns them itself (``lists_own_chunks``); any other block is listed by
an ``<expander>_items`` task, so that nested blocks flatten into one mapped task over
(outer, inner) pairs. A task that waits for a mapped task runs when none failed, so an
empty block (its mapped tasks skipped) still reaches its collector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from hamilflow import htypes
from hamilflow.compiler.settings import task_assets, task_settings
from hamilflow.execution.plan import ReadKind
from hamilflow.runtime.airflow import MAP_INDEX_TEMPLATE

if TYPE_CHECKING:
    from hamilflow.execution.plan import Plan, TaskSpec
    from hamilflow.graph import FunctionGraph


@dataclass(frozen=True)
class DagParam:
    """A DAG param: its default, its JSON-schema type (None: any) and what it is for."""

    name: str
    default: Any
    json_type: str | list[str] | None
    description: str


@dataclass
class AirflowTask:
    """One task of the DAG: the runtime call it makes, where it sits, what it waits for.

    ``runs`` is what the task hands the runtime: a plan task's name, or, for a lister
    (``lists_items``), the expander whose items it lists. ``mapped_over`` is the task whose
    chunks it expands over (it then takes one ``chunk``); ``upstream`` the other tasks it
    runs after. ``reads`` says in words what it reads. ``settings`` are Airflow task
    arguments as values (``trigger_rule``, ``retries``, a ``timedelta`` timeout, ...).
    """

    task_id: str
    runs: str
    lists_items: bool = False
    returns_chunks: bool = False
    mapped_over: str | None = None
    upstream: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    doc: str = ""
    group: tuple[str, ...] = ()  # the TaskGroup it sits in, outermost first: a namespace of its nodes
    run_hook: str = ""  # "started" (a setup task) or "finished" (a teardown task): the adapters' graph hooks
    local_id: str = ""  # its id inside that group (Airflow prefixes the group's); the task_id when empty

    @property
    def airflow_id(self) -> str:
        """The task id Airflow shows: the group's path, then the local id."""
        return ".".join((*self.group, self.local_id or self.task_id))


@dataclass
class AirflowDag:
    """A whole DAG file's content: the ``@dag`` settings and params, the groups, the tasks in dependency order.

    ``spec`` is the file's ``SPEC`` constant (the pipeline spec and the options it was
    compiled with); ``doc`` is the DAG's documentation and the file's docstring; ``header``
    the comment lines that follow it.
    """

    dag_id: str
    doc: str
    header: list[str]
    spec: dict[str, Any]
    settings: dict[str, Any]
    params: list[DagParam]
    tasks: list[AirflowTask]

    @property
    def documentation(self) -> str:
        """The DAG's documentation (the file's docstring): its title, the ``doc_md`` the options give, then ``doc``'s
        account of the pipeline."""
        own = clean_text(self.settings.get("doc_md") or "")
        if not own:
            return self.doc
        title, _, rest = self.doc.partition("\n\n")
        return f"{title}\n\n{own}\n\n{rest}" if rest else f"{title}\n\n{own}"

    @property
    def groups(self) -> list[tuple[str, ...]]:
        """Every TaskGroup, as a path of group ids, parents before children."""
        return sorted({t.group[:depth] for t in self.tasks for depth in range(1, len(t.group) + 1)})


def clean_text(text: str) -> str:
    """``text`` without trailing whitespace on its lines (a DAG file's docs are text without it)."""
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def task_doc(graph: FunctionGraph, nodes: Iterable[str]) -> str:
    """A task's documentation: each node's docstring and where it comes from."""
    nodes = tuple(nodes)
    parts = []
    for name in nodes:
        node = graph.nodes[name]
        text = clean_text(node.documentation or "")
        head = f"**{name}** ({htypes.type_name(node.type)}) — `{node.module}.{node.function_name}`"
        if not text:
            parts.append(head)
        else:
            parts.append(f"{head}\n\n{text}" if len(nodes) > 1 else f"{text}\n\n{head}")
    return "\n\n".join(parts)


_READ_WORDS = {
    ReadKind.VALUE: "",
    ReadKind.ITEM: " (one item)",
    ReadKind.ALL_ITEMS: " (all items)",
}


def task_reads(spec: TaskSpec, sources: Mapping[str, str]) -> list[str]:
    """What a plan task reads, in words: values of other tasks, then inputs with where they come from."""
    words = []
    for read in spec.reads:
        how = f" (collected over {read.block})" if read.kind is ReadKind.COLLECT else _READ_WORDS[read.kind]
        words.append(read.value + how)
    words += [f"{name} ({sources[name]})" for name in spec.external if name in sources]
    return words


def build_tasks(
    graph: FunctionGraph, plan: Plan, input_sources: Mapping[str, str], problems: list[str]
) -> list[AirflowTask]:
    """One task per plan task, plus an ``<expander>_items`` task for each block no task lists itself.

    ``input_sources`` says where each external input comes from ("param", "config", ...).
    """
    chunk_source: dict[str, str] = {}  # expander -> task id whose output lists its chunks
    items_tasks: dict[str, AirflowTask] = {}
    taken = set(plan.task) | set(graph.nodes)
    namespaces = _namespaces(plan)
    for spec in plan.tasks:
        for expander in spec.expanders:
            if spec.lists_own_chunks:
                chunk_source[expander] = spec.name
                continue
            candidates = [f"{expander}_items", f"{expander}_block_items"]
            name = next((c for c in candidates if c not in taken), None)
            number = 2
            while name is None or name in taken:
                name, number = f"{expander}_block_items_{number}", number + 1
            taken.add(name)
            chunk_source[expander] = name
            items_tasks[name] = AirflowTask(
                task_id=name,
                runs=expander,
                lists_items=True,
                returns_chunks=True,
                upstream=[spec.name],
                doc=f"Lists the items of block '{expander}' for the tasks mapped over it.",
                **_placement(name, [expander], namespaces),
            )
    out: list[AirflowTask] = []
    mapped = {s.name for s in plan.tasks if s.path}
    for spec in plan.tasks:
        mapped_over = chunk_source[spec.path[-1]] if spec.path else None
        implied = set(items_tasks[mapped_over].upstream) if mapped_over in items_tasks else set()
        upstream = [u for u in spec.upstream if u != mapped_over and u not in implied]
        settings: dict[str, Any] = {"map_index_template": MAP_INDEX_TEMPLATE} if mapped_over else {}
        if any(u in mapped for u in upstream):
            settings["trigger_rule"] = "none_failed"  # an empty block skips its mapped tasks
        tagged = task_settings(graph, spec.nodes, problems)
        if settings.get("trigger_rule") == "none_failed" and tagged.get("trigger_rule") == "all_success":
            problems.append(
                f"@tag(airflow_trigger_rule='all_success') on task '{spec.name}': it runs after a mapped block, "
                "whose tasks are skipped when the block has no items; all_success would skip this task too. "
                "Leave the tag out (the task runs when no upstream task failed)."
            )
        settings.update(tagged)
        outlets = task_assets(graph, spec.nodes, problems)
        if outlets:  # Airflow records an asset event for each when the task succeeds
            settings["outlets"] = outlets
        placement = _placement(spec.name, spec.nodes, namespaces)
        if len(spec.nodes) > 1:  # a grouped task's id is long and stable; the UI shows a short name
            settings["task_display_name"] = display_name(spec.nodes, placement.get("group", ()))
        out.append(
            AirflowTask(
                task_id=spec.name,
                runs=spec.name,
                returns_chunks=spec.lists_own_chunks,
                mapped_over=mapped_over,
                upstream=upstream,
                reads=task_reads(spec, input_sources),
                settings=settings,
                doc=task_doc(graph, spec.nodes),
                **placement,
            )
        )
        for expander in spec.expanders:
            items = items_tasks.get(chunk_source[expander])
            if items is not None and items.task_id != spec.name:
                items.settings = {"trigger_rule": "none_failed"} if spec.path else {}
                out.append(items)
    return _in_dependency_order(out)


def with_run_hook_tasks(tasks: list[AirflowTask], started: str, finished: str) -> list[AirflowTask]:
    """``tasks`` between a setup task ``started`` (before every task that waits for none) and a teardown task
    ``finished`` (after every task no other waits for), for the adapters' graph hooks, once per DAG run."""
    waited_for = {u for t in tasks for u in [*t.upstream, t.mapped_over] if u}
    for t in tasks:
        if not t.upstream and not t.mapped_over:
            t.upstream.append(started)
    leaves = [t.task_id for t in tasks if t.task_id not in waited_for]
    first = AirflowTask(
        task_id=started, runs=started, run_hook="started", doc="Calls the adapters' pre_graph_execute for this run."
    )
    last = AirflowTask(
        task_id=finished,
        runs=finished,
        run_hook="finished",
        upstream=[started, *leaves],
        doc="Calls the adapters' post_graph_execute for this run, whether it succeeded or not.",
    )
    return [first, *tasks, last]


def display_name(nodes: Iterable[str], group: tuple[str, ...] = (), limit: int = 60) -> str:
    """The short name the Airflow UI shows for a task of several nodes: its nodes, or its first and last.

    >>> display_name(["spend", "visits"]), display_name(["a", "b", "c", "d", "e"])
    ('spend + visits', 'a … e (5 nodes)')
    """
    prefix = ".".join(group) + "." if group else ""
    names = [n[len(prefix) :] if prefix and n.startswith(prefix) else n for n in nodes]
    joined = " + ".join(names)
    if len(names) <= 3 and len(joined) <= limit:
        return joined
    short = f"{names[0]} … {names[-1]} ({len(names)} nodes)"
    return short if len(short) <= limit else f"{names[0][: limit - 20]}… ({len(names)} nodes)"


def _namespaces(plan: Plan) -> set[str]:
    """Every namespace a node of the plan is named in (``a`` and ``a.b`` for ``a.b.c``)."""
    found = set()
    for spec in plan.tasks:
        for node in spec.nodes:
            parts = node.split(".")[:-1]
            found.update(".".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return found


def _placement(task_name: str, nodes: Iterable[str], namespaces: set[str]) -> dict[str, Any]:
    """Where a task sits in the Airflow UI: the TaskGroup of its nodes' shared namespace.

    Hamilton names a node made inside a namespace (``@subdag``, ``@pipe_input`` steps)
    ``namespace.name``; a task whose nodes share a namespace goes into the TaskGroup of that
    namespace, under its name without the prefix. The node named like the namespace itself
    (a subdag's output) goes into it too: a group and a task of one name cannot sit side by
    side. Any dot left in a local name would read as a group in Airflow's UI: it becomes ``__``.
    """
    spaces = [tuple(node.split(".") if node in namespaces else node.split(".")[:-1]) for node in nodes]
    group = spaces[0]
    for space in spaces[1:]:
        common = 0
        while common < min(len(group), len(space)) and group[common] == space[common]:
            common += 1
        group = group[:common]
    prefix = ".".join(group) + "."
    local = task_name[len(prefix) :] if group and task_name.startswith(prefix) else task_name
    if not group and "." not in local:
        return {}
    return {"group": group, "local_id": local.replace(".", "__")}


def _in_dependency_order(tasks: list[AirflowTask]) -> list[AirflowTask]:
    """``tasks`` with every task after those it waits for (the DAG file wires them in this order).

    Keeps the given order where it already fits; a grouping may list a task before the
    task that computes one of its inputs (a group is placed where its first node is).
    """
    import heapq

    position = {t.task_id: i for i, t in enumerate(tasks)}
    waiting: dict[str, int] = {}
    dependents: dict[str, list[str]] = {t.task_id: [] for t in tasks}
    for t in tasks:
        waits = {u for u in [*t.upstream, t.mapped_over] if u in position}
        waiting[t.task_id] = len(waits)
        for u in waits:
            dependents[u].append(t.task_id)
    ready = [position[name] for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[AirflowTask] = []
    while ready:  # the first task in the given order whose upstream tasks are placed: O(n log n)
        task = tasks[heapq.heappop(ready)]
        ordered.append(task)
        for dependent in dependents[task.task_id]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, position[dependent])
    if len(ordered) < len(tasks):  # a cycle: cannot happen for a valid plan; keep the order and let Airflow report it
        placed = {t.task_id for t in ordered}
        ordered += [t for t in tasks if t.task_id not in placed]
    return ordered
