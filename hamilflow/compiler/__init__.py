"""The compiler: turns a pipeline's plan into an Airflow 3 DAG file.

Each plan task becomes one Airflow task whose id is the node's (or group's) name. A
``Parallelizable`` block's tasks are mapped (``.expand()``) over chunks of its items;
a collector waits for the whole block. Nested blocks are flattened into one mapped
task over (outer, inner) pairs, listed by an ``<expander>_items`` task. External inputs
become DAG params, or are read from the Airflow context when named like a context value.

    >>> from hamilflow.compiler import CompileOptions, compile_pipeline
    >>> dag = compile_pipeline(CompileOptions(
    ...     modules=["examples.word_count.pipeline"], dag_id="word_count", final_vars=["total_words"]))
    >>> dag.write()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from hamilflow import htypes
from hamilflow.compiler.checks import (
    check_dag_settings,
    check_task_ids,
    classify_inputs,
    param_type,
    task_settings,
)
from hamilflow.compiler.options import CompileOptions
from hamilflow.compiler.render import AirflowTask, render
from hamilflow.errors import GraphError, HamilflowError
from hamilflow.execution.plan import Plan, build_plan
from hamilflow.graph import FunctionGraph
from hamilflow.runtime.spec import GROUPINGS, PipelineSpec

__all__ = ["CompileOptions", "CompiledDag", "compile_pipeline", "check_dag_file", "embedded_options", "CompileError"]


class CompileError(GraphError):
    """The pipeline cannot be compiled into a working DAG; ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems, header="Cannot compile this pipeline into an Airflow DAG")


@dataclass
class CompiledDag:
    """A compiled DAG: its source text, the plan behind it and where it goes."""

    options: CompileOptions
    plan: Plan
    spec: PipelineSpec
    source: str

    @property
    def path(self) -> Path:
        return Path(self.options.output_path)

    def write(self) -> Path:
        """Write the file (creating its folder) and return its path."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.source)
        return self.path


def _import(modules: list[str]) -> list:
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # like `python -m`, let the current folder's packages import
    loaded = []
    for name in modules:
        try:
            loaded.append(importlib.import_module(name))
        except ImportError as error:
            raise CompileError([f"cannot import module '{name}': {error}. Is it on PYTHONPATH?"]) from error
    return loaded


def _doc_for(graph: FunctionGraph, nodes: tuple[str, ...]) -> str:
    parts = []
    for name in nodes:
        node = graph.nodes[name]
        text = node.documentation
        head = f"**{name}** ({htypes.type_name(node.type)}) — `{node.module}.{node.function_name}`"
        if not text:
            parts.append(head)
        else:
            parts.append(f"{head}\n\n{text}" if len(nodes) > 1 else f"{text}\n\n{head}")
    return "\n\n".join(parts)


def compile_pipeline(options: CompileOptions) -> CompiledDag:
    """Compile the pipeline described by ``options``; raises :class:`CompileError` listing every problem."""
    problems: list[str] = []
    if options.grouping not in GROUPINGS:
        problems.append(f"unknown grouping '{options.grouping}': choose one of {', '.join(GROUPINGS)}.")
    check_dag_settings(options, problems)
    if problems:
        raise CompileError(problems)
    modules = _import(options.modules)
    try:
        graph = FunctionGraph.from_modules(*modules, config=options.config)
    except GraphError as error:  # the pipeline itself is broken: say so before any DAG exists
        raise CompileError(error.problems) from error
    final_vars = list(options.final_vars) or graph.leaves()
    if not final_vars:
        raise CompileError([f"{', '.join(options.modules)} define no function to compute: nothing to compile."])
    problems, _ = graph.request_checks(final_vars, options.config, ())
    problems = [p for p in problems if not p.startswith("missing input")]  # params and context cover those
    if problems:
        raise CompileError(problems)
    try:
        plan = build_plan(graph, final_vars, grouping=GROUPINGS[options.grouping]())
    except GraphError as error:
        raise CompileError(error.problems) from error
    params, context_inputs = classify_inputs(graph, plan, options, problems)
    tasks = _airflow_tasks(graph, plan, problems)
    check_task_ids([t.airflow_id for t in tasks], problems)
    if problems:
        raise CompileError(problems)
    spec = PipelineSpec(
        dag_id=options.dag_id,
        modules=tuple(options.modules),
        final_vars=tuple(final_vars),
        fingerprint=plan.fingerprint,
        config=options.config,
        grouping=options.grouping,
        store_url=options.store_url,
        params=tuple(params),
        context_inputs=tuple(context_inputs),
    )
    start = datetime.date.fromisoformat(str(options.start_date))
    dag_settings = {
        "schedule": repr(options.schedule),
        "start_date": f"datetime.datetime({start.year}, {start.month}, {start.day}, tzinfo=datetime.timezone.utc)",
        "catchup": repr(options.catchup),
        "tags": repr(list(options.tags)),
    }
    if options.retries is not None:
        dag_settings["default_args"] = repr({"retries": options.retries})
    param_docs = {}
    for name, default in params.items():
        users = [u for u in graph.nodes[name].dependents if u in plan.producer]
        json_type = param_type(graph.nodes[name].type)
        if default is None and isinstance(json_type, str):
            json_type = [json_type, "null"]  # else Airflow refuses every run that keeps the default
        described = f"input of {', '.join(users)} ({htypes.type_name(graph.nodes[name].type)})"
        param_docs[name] = (default, json_type, described)
    doc = _dag_doc(options, modules, plan)
    source = render(
        dag_id=options.dag_id,
        header=[
            f"Compiled by hamilflow from {', '.join(options.modules)}; do not edit by hand.",
            "Regenerate after changing the pipeline: hamilflow compile --recompile <this file>",
            f"Outputs: {', '.join(final_vars)}. Plan fingerprint: {plan.fingerprint}.",
        ],
        options_json=options.to_json(),
        spec_json=spec.to_json(),
        dag_settings=dag_settings,
        params=param_docs,
        tasks=tasks,
        doc=doc,
    )
    return CompiledDag(options=options, plan=plan, spec=spec, source=source)


def _dag_doc(options: CompileOptions, modules: list, plan: Plan) -> str:
    docs = [inspect.cleandoc(m.__doc__) for m in modules if m.__doc__]
    body = "\n\n".join(docs) if docs else f"Pipeline from {', '.join(options.modules)}."
    return (
        f"{options.dag_id}\n\n{body}\n\nCompiled by hamilflow: {len(plan.tasks)} tasks computing "
        f"{', '.join(plan.final_vars)}. Values travel through the hamilflow artifact store; XCom "
        "carries only references and item chunks."
    )


def _airflow_tasks(graph: FunctionGraph, plan: Plan, problems: list[str]) -> list[AirflowTask]:
    """One AirflowTask per plan task, plus an ``<expander>_items`` task for each inner block."""
    specs = plan.task
    chunk_source: dict[str, str] = {}  # expander -> task id whose output lists its chunks
    items_tasks: dict[str, AirflowTask] = {}
    taken = set(specs) | set(graph.nodes)
    namespaces = _namespaces(plan)
    for spec in plan.tasks:
        for expander in spec.expanders:
            if not spec.path and len(spec.expanders) == 1:
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
                **_placement(name, [expander], namespaces),
                call=f"pipeline.items({expander!r})",
                upstream=[spec.name],
                doc=f"Lists the items of block '{expander}' for the tasks mapped over it.",
                returns_chunks=True,
            )
    out: list[AirflowTask] = []
    mapped = {s.name for s in plan.tasks if s.path}
    for spec in plan.tasks:
        upstream = list(dict.fromkeys(plan.producer[v] for v in spec.inputs))
        mapped_over = chunk_source[spec.path[-1]] if spec.path else None
        implied = set(items_tasks[mapped_over].upstream) if mapped_over in items_tasks else set()
        upstream = [u for u in upstream if u != mapped_over and u not in implied]
        settings = task_settings(graph, spec.nodes, problems)
        if any(u in mapped for u in upstream):
            settings = {"trigger_rule": "none_failed", **settings}  # an empty block skips its mapped tasks
        call = f"pipeline.run({spec.name!r}, chunk)" if mapped_over else f"pipeline.run({spec.name!r})"
        out.append(
            AirflowTask(
                task_id=spec.name,
                **_placement(spec.name, spec.nodes, namespaces),
                call=call,
                mapped_over=mapped_over,
                upstream=upstream,
                settings=settings,
                doc=_doc_for(graph, spec.nodes),
                returns_chunks=len(spec.expanders) == 1 and not spec.path,
            )
        )
        for expander in spec.expanders:
            items = items_tasks.get(chunk_source[expander])
            if items is not None and items.task_id != spec.name:
                items.settings = {"trigger_rule": "none_failed"} if spec.path else {}
                out.append(items)
    return _in_dependency_order(out)


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
    by_id = {t.task_id: t for t in tasks}
    waits = {t.task_id: {u for u in [*t.upstream, t.mapped_over] if u in by_id} for t in tasks}
    done: set[str] = set()
    ordered: list[AirflowTask] = []
    pending = list(tasks)
    while pending:
        ready = next((t for t in pending if waits[t.task_id] <= done), None)
        if ready is None:  # a cycle: cannot happen for a valid plan; keep the order and let Airflow report it
            ordered += pending
            break
        pending.remove(ready)
        done.add(ready.task_id)
        ordered.append(ready)
    return ordered


def embedded_options(path: str | Path, text: str | None = None) -> CompileOptions:
    """The options a compiled DAG file was compiled with (its ``# hamilflow-compile:`` line)."""
    path = Path(path)
    text = path.read_text() if text is None else text
    line = next((ln for ln in text.splitlines() if ln.startswith("# hamilflow-compile: ")), None)
    if line is None:
        raise HamilflowError(f"{path} was not written by hamilflow compile (no '# hamilflow-compile:' line).")
    try:
        return CompileOptions.from_json(line[len("# hamilflow-compile: ") :], output=str(path))
    except (ValueError, TypeError) as error:
        problem = f"{path}: its '# hamilflow-compile:' line is damaged ({error}); compile the pipeline again."
        raise HamilflowError(problem) from error


def check_dag_file(path: str | Path) -> str | None:
    """Recompile a DAG file from the options it embeds; None when current, else why it is stale."""
    path = Path(path)
    text = path.read_text()
    options = embedded_options(path, text)
    try:
        fresh = compile_pipeline(options)
    except GraphError as error:
        return f"{path}: the pipeline no longer compiles:\n{error}"
    if fresh.source != text:
        return f"{path}: stale — the pipeline changed since it was compiled. Run: hamilflow compile --recompile {path}"
    return None
