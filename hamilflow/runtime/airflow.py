"""The bridge between a compiled DAG file and the runtime: reads the Airflow task context.

This is the only runtime module that imports Airflow, and only inside a running task,
so a DAG file parses without importing the pipeline's modules.

    >>> pipeline = CompiledPipeline({"dag_id": "d", ...})  # doctest: +SKIP
    >>> pipeline.run("total_words")  # inside an Airflow task  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from typing import Any, Callable, Mapping

from hamilflow.errors import SettingError
from hamilflow.runtime.context import context_value
from hamilflow.runtime.imports import ImportedCallback
from hamilflow.runtime.spec import PipelineSpec

# Importing this module is part of parsing every DAG file, which Airflow does every few seconds: it stays
# light. The runtime (and through it Hamilton's decorators, pandas, ...) is imported when a task runs.

__all__ = [
    "CompiledPipeline",
    "LABEL_VARIABLE",
    "MAP_INDEX_TEMPLATE",
    "callback",
    "context_value",
    "deployment_slots",
    "max_map_length",
    "pool_size",
]

_LOG = logging.getLogger("hamilflow")
LABEL_VARIABLE = "hamilflow_item"
# A mapped task's label in the UI: the template Airflow renders from the context variable a task sets.
MAP_INDEX_TEMPLATE = "{{ " + LABEL_VARIABLE + " }}"


def _core_setting(name: str, default: int) -> int:
    """An integer of Airflow's ``[core]`` section, read on every call: ``AIRFLOW__CORE__<NAME>`` first (it
    overrides airflow.cfg in Airflow too), then the worker's Airflow configuration, else ``default``."""
    variable = f"AIRFLOW__CORE__{name.upper()}"
    env = os.environ.get(variable, "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise SettingError(
                f"{variable}={env!r} is not a whole number: set it to one (Airflow's default is {default}) or unset it."
            ) from None
    try:
        try:  # a worker may have only the task SDK installed
            from airflow.sdk.configuration import conf
        except ImportError:
            from airflow.configuration import conf
        return max(1, conf.getint("core", name, fallback=default))
    except Exception:  # noqa: BLE001 - no usable Airflow configuration: Airflow's documented default
        return default


def max_map_length() -> int:
    """Airflow's ``[core] max_map_length``: the most instances one mapped task may have (default 1024)."""
    return _core_setting("max_map_length", 1024)


def deployment_slots(context: Mapping[str, Any] | None = None) -> int:
    """How many task instances of this DAG the deployment runs at once: the least of ``[core] parallelism``,
    the DAG's ``max_active_tasks`` (else ``[core] max_active_tasks_per_dag``) and the pool's slots.

    The pool is the one the tasks mapped over this task run in (a block's tasks, when this task lists the
    block's chunks), with its real slots (see :func:`pool_size`), as many instances as it holds of each
    (its slots over the task's ``pool_slots``); for a task nothing is mapped over, the default pool's
    configured size. Read, never changed: packing adapts to the deployment, and no global setting moves.
    """
    context = context or {}
    per_dag = getattr(context.get("dag"), "max_active_tasks", None) or _core_setting("max_active_tasks_per_dag", 16)
    slots = min(_core_setting("parallelism", 32), int(per_dag))
    mapped = _mapped_over(context.get("task"))
    if not mapped:
        return max(1, min(slots, _core_setting("default_pool_task_slot_count", 128)))
    for task in mapped:
        pool = pool_size(getattr(task, "pool", None) or "default_pool")
        if pool is not None:  # None: a pool without limit
            slots = min(slots, pool // max(1, int(getattr(task, "pool_slots", 1) or 1)))
    return max(1, slots)


def _mapped_over(operator: Any) -> list:
    """The DAG's tasks that ``.expand()`` over what ``operator`` returns: the mapped tasks of the block it lists."""
    try:
        return [t for t in operator.iter_mapped_dependants() if hasattr(t, "pool")] if operator is not None else []
    except Exception:  # noqa: BLE001 - an operator of another Airflow, or none: the deployment's settings only
        return []


def pool_size(name: str) -> int | None:
    """The slots of Airflow's pool ``name`` (None when unlimited), as the pool is now; else, when it cannot be
    read, the configured size of the default pool (``[core] default_pool_task_slot_count``), with no error.

    Read from Airflow's own models, and only where this process already has Airflow's ORM (``dag.test()``,
    ``hamilflow airflow-test``): never a database connection of its own. A task on a deployed Airflow 3
    worker talks to the api-server only, and the Task SDK gives it no way to read a pool (its Execution API
    serves variables, connections, XComs, assets and task states, not pools); the worker's supervisor blocks
    the ORM (``BlockedDBSession``). There, the configured size stands in.
    """
    configured = _core_setting("default_pool_task_slot_count", 128)
    settings = sys.modules.get("airflow.settings")
    session = getattr(settings, "Session", None)
    if session is None or getattr(session, "__name__", "") == "BlockedDBSession":
        return configured
    try:
        from airflow.models.pool import Pool

        row = Pool.get_pool(name)
    except Exception:  # noqa: BLE001 - an ORM that cannot be used here: the configured size, as documented
        return configured
    if row is None or row.slots is None:
        return configured
    return None if row.slots < 0 else int(row.slots)


def _describe_asset_events(context: Mapping[str, Any], result: Any) -> None:
    """Each Asset the task declares: its event says which artifacts of the run the task wrote (their refs).

    A DAG scheduled on the Asset finds them in ``triggering_asset_events``; Airflow writes the
    event when the task succeeds.
    """
    outlets = getattr(context.get("task"), "outlets", None) or []
    events = context.get("outlet_events")
    if not outlets or events is None or not isinstance(result, dict) or "refs" not in result:
        return
    for outlet in outlets:
        events[outlet].extra["hamilflow_refs"] = result["refs"]


def dataset_uri(store_url: str, dag_id: str, value: str) -> str:
    """The lineage dataset of a value the DAG keeps in its artifact store (one per node, across runs).

    >>> dataset_uri("/data/store", "features", "spend"), dataset_uri("s3://lake/hf/", "features", "spend")
    ('file:///data/store/features/spend', 's3://lake/hf/features/spend')
    """
    base = store_url.rstrip("/") if "://" in store_url else "file://" + os.path.abspath(store_url)
    return f"{base}/{dag_id}/{value}"


def _fresh_lineage() -> None:
    """One lineage collector per task, as a worker's task process has; ``dag.test()`` runs every task in one
    process, where the (cached) collector would carry one task's lineage into the next."""
    try:
        from airflow.sdk.lineage import get_hook_lineage_collector
    except ImportError:
        return
    clear = getattr(get_hook_lineage_collector, "cache_clear", None)
    if clear is not None:
        clear()


def _report_lineage(
    spec: PipelineSpec,
    task_name: str,
    context: Mapping[str, Any],
    external: Mapping[str, Any] | None = None,
    chunk: Mapping[str, Any] | None = None,
) -> None:
    """Tell Airflow's hook-lineage collector what the task read and wrote, for OpenLineage (when installed):
    the values it read from and wrote to the artifact store, the files its loaders read (``from_.*``
    materializers, ``@load_from``), the files its savers wrote (``to.*``, ``@save_to``) and the Assets it
    declares.

    Without a lineage reader (no OpenLineage provider, or it is disabled) the collector keeps nothing.
    """
    try:
        from airflow.sdk.lineage import get_hook_lineage_collector
    except ImportError:
        return
    from hamilflow.runtime.task import load, open_store

    collector = get_hook_lineage_collector()
    if not getattr(collector, "collected_assets", None) and type(collector).__name__ == "NoOpCollector":
        return
    pipeline = load(spec)
    task = pipeline.task(task_name)
    operator = context.get("task")
    if task is None or operator is None:
        return
    store = open_store(spec)
    for value in dict.fromkeys(read.value for read in task.reads):
        collector.add_input_asset(operator, uri=dataset_uri(store.url, spec.dag_id, value))
    for value in task.outputs:
        collector.add_output_asset(operator, uri=dataset_uri(store.url, spec.dag_id, value))
    scopes = [tuple(s) for s in chunk["scopes"]] if chunk is not None else [()]
    lookup = _input_lookup(pipeline, store, context.get("run_id"), external or {})
    reported: set[tuple[str, str]] = set()
    for node in pipeline.nodes_of(task_name):
        for index in scopes:
            for direction, uri in io_targets(node, functools.partial(lookup, index=index)):
                if (direction, uri) not in reported:
                    reported.add((direction, uri))
                    add = collector.add_input_asset if direction == "input" else collector.add_output_asset
                    add(operator, uri=uri)
    for outlet in getattr(operator, "outlets", None) or []:  # reported in place of the outlets, so again here
        if getattr(outlet, "uri", None) and ("output", outlet.uri) not in reported:
            collector.add_output_asset(operator, uri=outlet.uri)


def io_targets(node: Any, lookup: Callable[[str], Any]) -> list[tuple[str, str]]:
    """``[("input" | "output", uri)]``: the file a loader node reads or a saver node writes, as a dataset URI.

    Its fixed argument, else the value of the input that gives it (``source("readings_file")``), read
    through ``lookup``; a URL as it is, a path as ``file://`` and its absolute path on this worker. Empty
    for another node, and for a loader's second node (Hamilton's ``select_data``: the same file).
    """
    # here: a DAG file imports this module to parse, cheaply
    from hamilflow.materializers import LOADER_TAG, SAVER_TAG, TARGET_ARGUMENTS, bound_arguments

    found = []
    for tag, direction in ((LOADER_TAG, "input"), (SAVER_TAG, "output")):
        if node.tags.get(f"{tag}.has_metadata") is False:
            continue
        bound = bound_arguments(node, tag)
        fixed, given = bound.get("resolved_kwargs") or {}, bound.get("dependencies") or {}
        for key in TARGET_ARGUMENTS:
            source = next((name for name, argument in given.items() if argument == key), None)
            target = fixed[key] if key in fixed else (lookup(source) if source is not None else None)
            uri = _as_uri(target)
            if uri is not None:
                found.append((direction, uri))
                break
    return found


def _as_uri(target: Any) -> str | None:
    """A path or URL as a lineage dataset URI; None for anything else.

    >>> _as_uri("s3://lake/raw.csv"), _as_uri("/data/raw.csv"), _as_uri(3)
    ('s3://lake/raw.csv', 'file:///data/raw.csv', None)
    """
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if not isinstance(target, str) or not target.strip() or "\n" in target:
        return None
    return target if "://" in target else "file://" + os.path.abspath(target)


def _input_lookup(pipeline: Any, store: Any, run_id: Any, external: Mapping[str, Any]) -> Callable[..., Any]:
    """What a node of the task was given as input ``name`` at scope ``index``: a param, config or context value,
    else the upstream value in the store (None when it cannot be read: lineage never fails a task)."""

    from hamilflow.caching.results import CacheRef

    def lookup(name: str, index: tuple[int, ...] = ()) -> Any:
        if name in external:
            return external[name]
        try:
            path = pipeline.value_path(name) or ()
            if name in path:  # an expander's items are not one artifact
                return None
            value = store.get(store.ref(pipeline.spec.dag_id, run_id, name, tuple(index[: len(path)])))
            return value.resolve(store) if type(value) is CacheRef else value
        except Exception:  # noqa: BLE001 - lineage is reported after the work is done, never in its way
            return None

    return lookup


def _task_log() -> Any:
    """The logger of Airflow's task log (where the task runner logs the traceback); stdlib logging without it."""
    try:
        import structlog
    except ImportError:
        return _LOG
    return structlog.get_logger("task")


def failure_summary(spec: PipelineSpec, task_name: str, error: BaseException) -> str:
    """One line naming what failed: the node, its function and ``module:line``, the item, and the error.

    Read from the notes the runtime adds to the error (the node it was raised in, the item of
    a mapped task) and from the node itself.
    """
    notes = [str(n) for n in getattr(error, "__notes__", ())]
    node_name = next((n.split("'")[1] for n in notes if n.startswith("hamilflow: raised in node '")), None)
    item = next((n for n in notes if n.startswith("hamilflow: node '") and " failed for " in n), None)
    what = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}".rstrip(": ")
    if node_name is None:
        return f"hamilflow: task '{task_name}' of DAG '{spec.dag_id}' failed: {what}"
    where = ""
    try:
        from hamilflow.runtime.task import load

        node = next(n for n in load(spec).nodes_of(task_name) if n.name == node_name)
        line = f":{node.line}" if node.line else ""
        where = f" in function {node.function_name or node.name} ({node.module}{line})"
    except Exception:  # noqa: BLE001 - the summary must not hide the error it summarises
        pass
    told = ""
    if item is not None:
        told = ", " + item.split(" failed for ", 1)[1].split(". A retry", 1)[0]
    return f"hamilflow: node '{node_name}'{where} failed{told}: {what}"


def _same(value: Any, default: Any) -> bool:
    """The same value, of the same type (``1`` is not the default ``True``, nor ``1.0``).

    >>> _same(3, 3), _same(1, True), _same([1], [1])
    (True, False, True)
    """
    return type(value) is type(default) and value == default


def callback(path: str) -> ImportedCallback:
    """An Airflow callback of a DAG file, named by import path and imported when first called.

    >>> callback("my_project.alerts:notify")  # doctest: +SKIP
    """
    return ImportedCallback(path)


class CompiledPipeline:
    """A compiled DAG file's handle on its pipeline: ``run`` executes one task of the plan.

    ``spec`` is the file's ``SPEC`` constant (a dict; JSON text is accepted too).
    """

    def __init__(self, spec: Mapping[str, Any] | str) -> None:
        self.spec = PipelineSpec.from_json(spec) if isinstance(spec, str) else PipelineSpec.from_dict(spec)

    def external_values(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """The pipeline's inputs in a running task: config, params, context values.

        A param that only optional parameters read (``x: int = 3``) is left out when the run keeps the functions'
        default and its conf does not name it: each function's default applies, as in a Driver not given it.
        """
        params = context.get("params") or {}
        conf = getattr(context.get("dag_run"), "conf", None) or {}
        defaults = self.spec.function_defaults
        values = dict(self.spec.config)
        for name in self.spec.params:
            if name not in params:
                continue
            value = params[name]
            if name in defaults and name not in conf and _same(value, defaults[name]):
                continue
            values[name] = value
        values.update({name: context_value(context, name) for name in self.spec.context_inputs})
        return values

    def run(self, task_name: str, chunk: Mapping[str, Any] | None = None) -> Any:
        """Run the plan task ``task_name`` (for ``chunk`` when mapped).

        Returns the block's chunks when the task opens a block (the DAG file returns them to
        XCom for the mapped tasks to expand over), else the refs of what it wrote.
        """
        from airflow.sdk import get_current_context

        context = get_current_context()

        def label(text: str) -> None:  # rendered by the task's map_index_template, also when it fails
            context[LABEL_VARIABLE] = text

        external = self.external_values(context)
        slots = deployment_slots(context)
        _fresh_lineage()
        # a run cleared as a whole may start a new code version (see hamilflow.runtime.code_version)
        from hamilflow.runtime import code_version
        from hamilflow.runtime.task import run_task

        cleared = code_version.clear_number.set(int(getattr(context.get("dag_run"), "clear_number", 0) or 0))
        try:
            result = run_task(self.spec, task_name, context["run_id"], external, chunk, max_map_length(), label, slots)
            _describe_asset_events(context, result)
            _report_lineage(self.spec, task_name, context, external, chunk)
            return result
        except Exception as error:
            # The UI shows the log, not the exception's notes: say first, in one line, what failed where.
            _task_log().error(failure_summary(self.spec, task_name, error))
            raise
        finally:
            code_version.clear_number.reset(cleared)

    def run_started(self) -> None:
        """The DAG run's setup task: the adapters' ``pre_graph_execute`` (see :mod:`hamilflow.runtime.run_hooks`)."""
        from airflow.sdk import get_current_context

        from hamilflow.runtime.run_hooks import run_started

        context = get_current_context()
        run_started(self.spec, context["run_id"], self.external_values(context))

    def run_finished(self) -> None:
        """The DAG run's teardown task: the adapters' ``post_graph_execute``, whether the run succeeded or not."""
        from airflow.sdk import get_current_context

        from hamilflow.runtime.run_hooks import run_finished

        run_finished(self.spec, get_current_context()["run_id"])

    def items(self, expander: str) -> list:
        """List the chunks of the inner block opened by ``expander`` (the ``<expander>_items`` task)."""
        from airflow.sdk import get_current_context

        context = get_current_context()
        from hamilflow.runtime.task import list_block_chunks

        return list_block_chunks(self.spec, expander, context["run_id"], max_map_length(), deployment_slots(context))
