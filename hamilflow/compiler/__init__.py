"""The compiler: turns a pipeline's plan into an Airflow 3 DAG file.

Compiling goes in three steps: the plan (:mod:`hamilflow.execution.plan`), a model of
the DAG built from it (:mod:`hamilflow.compiler.model`: tasks, mapping, settings, groups,
as values; inputs in :mod:`~hamilflow.compiler.inputs`, Airflow settings in
:mod:`~hamilflow.compiler.settings`), and the text of the file
(:mod:`hamilflow.compiler.render`). Each plan task becomes one Airflow task named like
it; a ``Parallelizable`` block's tasks are mapped (``.expand()``) over chunks of its
items; a collector waits for the whole block. External inputs become DAG params, or are
read from the Airflow context when named like a context value.

The file keeps what it was compiled from in its ``SPEC`` constant, which
:func:`embedded_options` reads back (by parsing the file, never by searching its text) so
that :func:`check_dag_file` can compile it again and compare.

    >>> from hamilflow.compiler import CompileOptions, compile_pipeline
    >>> dag = compile_pipeline(CompileOptions(
    ...     modules=["examples.word_count.pipeline"], dag_id="word_count", final_vars=["total_words"]))
    >>> dag.write()  # doctest: +SKIP
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hamilflow.compiler.inputs import (
    check_input_values,
    check_param_defaults,
    classify_inputs,
    dag_params,
    function_defaults,
)
from hamilflow.compiler.model import AirflowDag, build_tasks, clean_text, with_run_hook_tasks
from hamilflow.compiler.names import module_problems, node_problems
from hamilflow.compiler.options import COMPILE_OPTIONS_KEY, CompileOptions
from hamilflow.compiler.render import render
from hamilflow.compiler.settings import (
    block_chunking,
    check_dag_settings,
    check_task_ids,
    check_task_settings,
    dag_settings,
)
from hamilflow.errors import GraphError, HamilflowError, ModuleImportError, SettingError
from hamilflow.execution import grouping
from hamilflow.execution.plan import Plan, build_plan
from hamilflow.frontend import import_modules
from hamilflow.materializers import pipeline_graph, saver_ids
from hamilflow.runtime.spec import PipelineSpec

if TYPE_CHECKING:
    from hamilflow.graph import FunctionGraph
    from hamilflow.lifecycle import Lifecycle

__all__ = [
    "CompileOptions",
    "CompiledDag",
    "compile_pipeline",
    "check_compiled",
    "check_dag_file",
    "embedded_options",
    "CompileError",
]

SPEC_NAME = "SPEC"  # the DAG file's constant: the pipeline spec and the options it was compiled with


class CompileError(GraphError):
    """The pipeline cannot be compiled into a working DAG; ``problems`` lists why."""

    def __init__(self, problems: list[str], header: str = "Cannot compile this pipeline into an Airflow DAG") -> None:
        super().__init__(problems, header=header)


@dataclass
class CompiledDag:
    """A compiled DAG: its model, its source text, the plan behind it and where it goes."""

    options: CompileOptions
    plan: Plan
    spec: PipelineSpec
    dag: AirflowDag
    source: str

    @property
    def path(self) -> Path:
        return Path(self.options.output_path)

    def write(self, verify: bool = False) -> Path:
        """Write the file (creating its folder) and return its path.

        With ``verify`` the text is first checked the way Airflow will read it
        (:mod:`hamilflow.compiler.verify`; ``hamilflow compile`` checks all it writes at once):
        a :class:`CompileError`, and no file, if it is not the DAG intended.
        """
        if verify:
            from hamilflow.compiler.verify import check_source

            problems = check_source(self.source, self.dag)
            if problems:
                raise CompileError(problems)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.source)
        return self.path


def _import(modules: list[str]) -> list:
    try:
        return import_modules(modules)  # like `python -m`, the current folder's packages import
    except ModuleImportError as error:
        raise CompileError([str(error)]) from error


def cache_behaviors(setting: bool | dict | None, problems: list[str]) -> dict[str, Any] | None:
    """The spec's cache setting: None (no cache), or the node behaviours of :class:`CacheSettings`, checked."""
    from hamilflow.caching import CacheSettings

    if not setting:
        return None
    chosen = {} if setting is True else dict(setting)
    chosen.pop("url", None)  # the cache lives in the DAG's artifact store
    try:
        return CacheSettings("", **chosen).to_dict() | {"url": None}
    except (SettingError, TypeError) as error:
        problems.append(
            f"cache = {setting!r}: {error}. Give true, or a table of recompute, disable, default "
            "(node names) and default_behavior."
        )
        return None


def _with_graph_hook_tasks(tasks: list, lifecycle: Lifecycle | None, nodes: set[str], problems: list[str]) -> list:
    """The tasks, with the run-started and run-finished tasks when an adapter has graph hooks (see
    :mod:`hamilflow.runtime.run_hooks`)."""
    from hamilflow.runtime.hooks import has_graph_hooks
    from hamilflow.runtime.run_hooks import FINISHED_TASK, STARTED_TASK

    needed = has_graph_hooks(lifecycle)
    taken = {t.task_id for t in tasks} | nodes
    for name in (STARTED_TASK, FINISHED_TASK):
        if needed and name in taken:
            problems.append(
                f"a node or task is named '{name}', the task hamilflow adds for the adapters' graph hooks: rename it."
            )
    return with_run_hook_tasks(tasks, STARTED_TASK, FINISHED_TASK) if needed and not problems else tasks


def _uncollected_blocks(graph: FunctionGraph) -> list[str]:
    """The expanders whose blocks no ``Collect[...]`` parameter closes, in the graph's order."""
    value_path = graph.blocks.value_path
    collected = {value_path(p, graph.nodes)[-1] for node in graph.nodes.values() for p in node.collect_params}
    return [e for e in graph.blocks.expanders if e not in collected]


def _uncollected(graph: FunctionGraph, expander: str) -> str:
    """The problem with a block that is never collected: its nodes would run for nothing, and no task ends it."""
    inside = [n for n in graph.order if graph.blocks.path_of(n)[-1:] == (expander,)]  # directly in it
    example = inside[-1] if inside else expander
    listed = ", ".join(f"'{n}'" for n in inside[:5]) + (f" and {len(inside) - 5} more" if len(inside) > 5 else "")
    return (
        f"the Parallelizable block of '{expander}' ({graph.nodes[expander].where}) is never collected: "
        + (f"no function takes {listed} as Collect[...]" if inside else "no function takes its items as Collect[...]")
        + ", so its items would be computed and dropped, and the DAG would have no task that waits for them. "
        f"Add a function that collects a node of the block (e.g. `def total({example}: Collect[...]) -> ...`), "
        "or request only nodes outside it (--output-var NAME, or final_vars=[...])."
    )


def _lifecycle(adapters: list[str]) -> Lifecycle | None:
    """The lifecycle of the DAG's adapters, as each task resolves it (``check_dag_settings`` has checked them)."""
    from hamilflow.runtime.hooks import lifecycle_of

    try:
        return lifecycle_of(tuple(adapters))
    except SettingError as error:  # an adapter that gave something else this time
        raise CompileError([str(error)]) from error


def _with_edge_hint(problems: list[str], adapters: list[str]) -> list[str]:
    """The graph's problems; a type mismatch also says that an edge check accepted in the Driver is an adapter to
    compile with."""
    hint = (
        " If your Driver accepts this edge through a lifecycle adapter (an EdgeConnectionHook), compile with that "
        "adapter too (--adapter package.module:name, or adapters = [...] in the DAG's settings)"
        + (f"; the adapters given ({', '.join(adapters)}) do not accept it." if adapters else ".")
    )
    return [p + hint if p.startswith("type mismatch on ") else p for p in problems]


def compile_pipeline(options: CompileOptions) -> CompiledDag:
    """Compile the pipeline described by ``options``; raises :class:`CompileError` listing every problem."""
    problems: list[str] = []
    if options.grouping not in grouping.STRATEGIES:
        problems.append(f"unknown grouping '{options.grouping}': choose one of {', '.join(grouping.STRATEGIES)}.")
    check_dag_settings(options, problems)
    check_input_values(options, problems)
    problems += module_problems(list(options.modules))  # names that reach the file: checked before importing
    if problems:
        raise CompileError(problems)
    modules = _import(options.modules)
    lifecycle = _lifecycle(options.adapters)
    try:
        # with the adapters, as a Driver built with them: an edge check (EdgeConnectionHook) may accept an edge
        graph = pipeline_graph(modules, options.config, options.materializers, lifecycle)
    except GraphError as error:  # the pipeline itself is broken: say so before any DAG exists
        raise CompileError(_with_edge_hint(error.problems, options.adapters)) from error
    except SettingError as error:
        raise CompileError([str(error)]) from error
    problems = node_problems(graph)
    if problems:
        raise CompileError(problems)
    savers = saver_ids(options.materializers)  # a configured saver runs in every DAG run: it is an output
    if not options.final_vars:  # the default outputs leave out the nodes of a block: each must be collected
        problems = [_uncollected(graph, expander) for expander in _uncollected_blocks(graph)]
        if problems:
            raise CompileError(problems)
    final_vars = list(options.final_vars) or [v for v in graph.leaves() if v not in savers]
    final_vars += [s for s in savers if s not in final_vars]
    if not final_vars:
        raise CompileError([f"{', '.join(options.modules)} define no function to compute: nothing to compile."])
    problems, _ = graph.request_checks(final_vars, options.config, ())
    problems = [p for p in problems if not p.startswith("missing input")]  # params and context cover those
    if problems:
        raise CompileError(problems)
    try:
        plan = build_plan(graph, final_vars, grouping=grouping.strategy(options.grouping))
    except GraphError as error:
        raise CompileError(error.problems) from error
    params, context_inputs = classify_inputs(graph, plan, options, problems)
    check_param_defaults(graph, params, options, problems)
    sources = {name: "config" for name in options.config}
    sources.update({name: "param" for name in params})
    sources.update({name: "Airflow context" for name in context_inputs})
    tasks = build_tasks(graph, plan, sources, problems)
    if options.adapters and not problems:
        tasks = _with_graph_hook_tasks(tasks, lifecycle, set(graph.nodes), problems)
    check_task_ids([t.airflow_id for t in tasks], problems)
    check_task_settings(tasks, options, problems)
    chunking = block_chunking(graph, plan, tasks, options, problems)
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
        chunking=chunking,
        adapters=tuple(options.adapters),
        materializers=tuple(options.materializers),
        cache=cache_behaviors(options.cache, problems),
        function_defaults=function_defaults(graph, plan, params),
    )
    if problems:
        raise CompileError(problems)
    dag = AirflowDag(
        dag_id=options.dag_id,
        doc=_dag_doc(options, modules, plan),
        header=[
            f"Compiled by hamilflow from {', '.join(options.modules)}; do not edit by hand.",
            "Regenerate after changing the pipeline: hamilflow compile --recompile <this file>",
        ],
        spec={**spec.to_dict(), COMPILE_OPTIONS_KEY: options.embedded(final_vars)},
        settings=dag_settings(options),
        params=dag_params(graph, plan, params),
        tasks=tasks,
    )
    return CompiledDag(options=options, plan=plan, spec=spec, dag=dag, source=render(dag))


def _dag_doc(options: CompileOptions, modules: list, plan: Plan) -> str:
    docs = [clean_text(inspect.cleandoc(m.__doc__)) for m in modules if m.__doc__]
    body = "\n\n".join(docs) if docs else f"Pipeline from {', '.join(options.modules)}."
    return (
        f"{options.dag_id}\n\n{body}\n\n"
        f"Compiled by hamilflow: {len(plan.tasks)} task{'s' * (len(plan.tasks) != 1)} computing "
        f"{', '.join(plan.final_vars)}.\n"
        "Values travel through the hamilflow artifact store; XCom carries only the chunks of items\n"
        "that mapped tasks expand over."
    )


def embedded_spec(path: str | Path, text: str | None = None) -> dict[str, Any]:
    """The ``SPEC`` constant of a compiled DAG file: its pipeline spec and the options it was compiled with.

    Read from the file's syntax tree: the value assigned to ``SPEC`` at module level, as
    a literal; nothing else in the file (a docstring, a comment) can stand in for it.
    """
    path = Path(path)
    text = path.read_text() if text is None else text
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise HamilflowError(
            f"{path} is not valid Python ({error.msg}, line {error.lineno}): compile the pipeline again."
        ) from error
    assigned = [
        statement.value
        for statement in tree.body
        if isinstance(statement, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == SPEC_NAME for target in statement.targets)
    ]
    if not assigned:
        raise HamilflowError(f"{path} was not written by hamilflow compile (it defines no {SPEC_NAME} constant).")
    if len(assigned) > 1:
        raise HamilflowError(f"{path}: it assigns {SPEC_NAME} {len(assigned)} times; compile the pipeline again.")
    try:
        spec = ast.literal_eval(_with_infinities(assigned[0]))
    except ValueError as error:
        raise HamilflowError(f"{path}: its {SPEC_NAME} is damaged ({error}); compile the pipeline again.") from error
    if isinstance(spec, str):
        raise HamilflowError(
            f"{path} was written by an older hamilflow compile (its {SPEC_NAME} is JSON text): compile the pipeline "
            "again with `hamilflow compile -m MODULE --dag-id ID ...`, with the options of its "
            "'# hamilflow-compile:' line."
        )
    if not isinstance(spec, dict) or COMPILE_OPTIONS_KEY not in spec:
        raise HamilflowError(
            f"{path} was not written by hamilflow compile (its {SPEC_NAME} has no '{COMPILE_OPTIONS_KEY}')."
        )
    return spec


class _Infinities(ast.NodeTransformer):
    """Reads ``float("inf")`` and ``float("-inf")``, the literals :func:`~hamilflow.compiler.pyformat.value` writes
    for infinities (a ``--param x=Infinity``), as the numbers: Python has no other literal for them."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "float"
            and not node.keywords
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in ("inf", "-inf")
        ):
            return ast.Constant(float(node.args[0].value))
        return node  # anything else stays a call, which literal_eval refuses


def _with_infinities(tree: ast.expr) -> ast.expr:
    return _Infinities().visit(tree)


def embedded_options(path: str | Path, text: str | None = None) -> CompileOptions:
    """The options a compiled DAG file was compiled with (from its ``SPEC`` constant)."""
    spec = embedded_spec(path, text)
    try:
        return CompileOptions.from_embedded(spec, output=str(path))
    except (KeyError, TypeError, ValueError) as error:
        problem = f"{path}: its {SPEC_NAME} is damaged ({error!r}); compile the pipeline again."
        raise HamilflowError(problem) from error


def check_dag_file(path: str | Path) -> str | None:
    """Recompile a DAG file from the options it embeds; None when current, else why it is stale."""
    path = Path(path)
    return check_compiled(embedded_options(path), path, f"hamilflow compile --recompile {path}")


def check_compiled(options: CompileOptions, path: str | Path | None = None, fix: str | None = None) -> str | None:
    """Would compiling ``options`` now write another file than the one at ``path``? None when not, else why.

    Stale means exactly that: the file compiling would write differs (tasks, edges, mapping,
    params, settings, docs, or the fingerprint of the code the tasks run). ``fix`` is the
    command that rewrites it.
    """
    path = Path(path or options.output_path)
    fix = fix or f"hamilflow compile --dag-id {options.dag_id}"
    if not path.is_file():
        return f"{path}: missing — DAG '{options.dag_id}' was never compiled there. Run: {fix}"
    text = path.read_text()
    try:
        fresh = compile_pipeline(options)
    except GraphError as error:
        return f"{path}: the pipeline no longer compiles:\n{error}"
    if fresh.source == text:
        return None
    if _only_the_fingerprint_differs(text, fresh.source):
        return (
            f"{path}: stale — the code of a function its tasks run has changed (its tasks, edges, params and "
            "settings have not); workers refuse the old file's fingerprint, so the new code never runs until "
            f"the file is compiled again:\n{_difference(text, fresh.source)}\nRun: {fix}"
        )
    return f"{path}: stale — compiling now would write another DAG:\n{_difference(text, fresh.source)}\nRun: {fix}"


def _only_the_fingerprint_differs(old: str, new: str) -> bool:
    """True when the two files differ in the line holding the plan's fingerprint and nowhere else."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    if len(old_lines) != len(new_lines):
        return False
    differing = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    marker = '"fingerprint": '
    return all(a.lstrip().startswith(marker) and b.lstrip().startswith(marker) for a, b in differing)


def _difference(old: str, new: str, limit: int = 12) -> str:
    """The first lines of a diff between the file as it is and as compiling would write it."""
    import difflib

    lines = [
        line
        for line in difflib.unified_diff(
            old.splitlines(), new.splitlines(), "as it is", "as compiled now", lineterm="", n=0
        )
        if not line.startswith(("---", "+++", "@@"))
    ]
    shown = [f"    {line}" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"    ... and {len(lines) - limit} more changed lines")
    return "\n".join(shown)
