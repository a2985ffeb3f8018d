"""What a compiled Airflow task runs: one plan task, for one chunk of items, through the store.

Every value lives in the artifact store under a ref derived from ``(dag_id, run_id,
node, index)``: the same ``(node, index)`` keys the local runner keeps in memory. A task
reads its inputs by those refs, runs its nodes with the same :func:`run_steps` loop as
the local runner, writes its outputs, and returns small JSON to XCom:

* an unmapped task returns ``{"refs": {node: ref}}``;
* a task that opens a block (or an ``<expander>_items`` task for an inner block)
  returns the list of *chunks* that the block's mapped tasks ``.expand()`` over; a chunk
  is ``{"scopes": [[i], ...]}``, item positions only;
* a mapped task returns ``{"refs": {node: [ref per scope]}}`` for its chunk.

No value of the pipeline ever reaches XCom. A mapped task labels itself for the Airflow
UI (``url='https://...'``) from the items it reads, through ``on_label``.

An expander writes each item under ``(expander, index + (j,))`` and then a *manifest*
(the item count) under ``(expander, index)``. The manifest is written last, so a
collector that finds it knows every item is there; a retried expander rewrites both.

Nested blocks are flattened: an inner block's mapped tasks run over every
``(outer, inner)`` index pair, listed by the ``<expander>_items`` task from manifests.
More scopes than Airflow's ``max_map_length`` are packed into fewer chunks.
"""

from __future__ import annotations

import importlib
import math
import os
from typing import Any, Callable, Iterable, Mapping

from hamilflow.errors import HamilflowError, add_note
from hamilflow.execution.node_runner import run_nodes
from hamilflow.execution.plan import Plan, ReadKind, TaskSpec, build_plan
from hamilflow.graph import FunctionGraph
from hamilflow.runtime.spec import PipelineSpec
from hamilflow.runtime.store import ArtifactNotFoundError, ArtifactStore, store_from_env

Index = tuple[int, ...]


class StalePipelineError(HamilflowError):
    """The DAG file was compiled from different pipeline code than the worker imports."""


def default_store_url() -> str:
    """``$HAMILFLOW_STORE_URL``, else ``$AIRFLOW_HOME/hamilflow-artifacts``, else ``./.hamilflow/artifacts``."""
    if os.environ.get("HAMILFLOW_STORE_URL"):
        return os.environ["HAMILFLOW_STORE_URL"]
    if os.environ.get("AIRFLOW_HOME"):
        return os.path.join(os.environ["AIRFLOW_HOME"], "hamilflow-artifacts")
    return os.path.abspath(".hamilflow/artifacts")


def open_store(spec: PipelineSpec) -> ArtifactStore:
    """The store a pipeline writes to: the spec's URL, else the environment's default.

    Opened per task from the environment of that moment, so a rotated key is seen.
    """
    return store_from_env(spec.store_url or default_store_url())


def _short(value: Any, limit: int = 60) -> str:
    """A repr that fits a UI label; the middle goes, since paths and URLs differ at their ends."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit // 3] + "…" + text[-(limit - limit // 3 - 1) :]


class LoadedPipeline:
    """A spec's graph and plan, rebuilt from the modules the worker imports and checked against the spec."""

    def __init__(self, spec: PipelineSpec) -> None:
        modules = [importlib.import_module(name) for name in spec.modules]
        self.spec = spec
        self.graph = FunctionGraph.from_modules(*modules, config=spec.config)
        self.plan: Plan = build_plan(self.graph, spec.final_vars, grouping=spec.grouping_strategy())
        if self.plan.fingerprint != spec.fingerprint:
            raise StalePipelineError(
                "pipeline changed since this DAG was compiled: recompile the DAG file "
                f"(hamilflow compile --recompile <dags folder>/{spec.dag_id}.py) and deploy it. DAG "
                f"'{spec.dag_id}' was compiled from plan fingerprint {spec.fingerprint}, but the code of "
                f"{', '.join(spec.modules)} that this worker imports gives {self.plan.fingerprint}; "
                "running it would mix results of two versions of the pipeline."
            )
        self.nodes = {t.name: [self.graph.nodes[n] for n in t.nodes] for t in self.plan.tasks}


_LOADED: dict[tuple, LoadedPipeline] = {}


def load(spec: PipelineSpec) -> LoadedPipeline:
    """The loaded pipeline for ``spec``, built once per process (again if its modules were re-imported)."""
    modules = tuple(id(importlib.import_module(name)) for name in spec.modules)  # a dict lookup once imported
    key = (spec.dag_id, spec.fingerprint, spec.store_url, spec.grouping, spec.modules, spec.final_vars, modules)
    if key not in _LOADED:
        _LOADED[key] = LoadedPipeline(spec)
    return _LOADED[key]


class TaskRun:
    """One Airflow task instance's work: which run it belongs to and where values live."""

    def __init__(self, pipeline: LoadedPipeline, run_id: str, external: Mapping[str, Any]) -> None:
        self.pipeline = pipeline
        self.run_id = run_id
        self.external = external
        self.store = open_store(pipeline.spec)
        self._counts: dict[tuple[str, Index], int] = {}  # manifests read or written by this task

    def ref(self, node: str, index: Index) -> str:
        return self.store.ref(self.pipeline.spec.dag_id, self.run_id, node, index)

    def item_count(self, expander: str, index: Index) -> int:
        """How many items the expander produced at ``index``: its manifest, written after the items."""
        key = (expander, index)
        if key not in self._counts:
            self._counts[key] = self.store.get(self.ref(expander, index))
        return self._counts[key]

    def label(self, path: tuple[str, ...], index: Index, known: Mapping[str, Any]) -> str:
        """``region='north', store='oslo'``: the items of one scope, for the Airflow UI.

        Items the task reads anyway come from ``known``; others are read from the store.
        """
        parts = []
        for depth, expander in enumerate(path):
            item = known[expander] if expander in known else self.store.get(self.ref(expander, index[: depth + 1]))
            parts.append(f"{expander}={_short(item)}")
        return ", ".join(parts)

    # ---------------------------------------------------------------- reading
    def inputs_for(self, spec: TaskSpec, index: Index) -> dict[str, Any]:
        values = {v: self.external[v] for v in spec.external if v in self.external}
        read = self._read
        values.update(self.pipeline.plan.gather_inputs(spec, index, read, read, self.item_count))
        return values

    def _read(self, node: str, index: Index) -> Any:
        return self.store.get(self.ref(node, index))  # items, too, are stored one per index

    # ---------------------------------------------------------------- running
    def run(
        self, task_name: str, scopes: Iterable[Index], on_label: Callable[[str], None] | None = None
    ) -> dict[Index, dict[str, str]]:
        """Run ``task_name`` for each scope index; return ``{index: {node: ref}}``.

        ``on_label`` receives the UI label of the scopes (tasks inside blocks) before any node runs.
        """
        spec = self.pipeline.plan.task[task_name]
        nodes = self.pipeline.nodes[task_name]
        item_inputs = [read.value for read in spec.reads if read.kind is ReadKind.ITEM]
        scopes = list(scopes)
        written: dict[Index, dict[str, str]] = {}
        for position, index in enumerate(scopes):
            values = self.inputs_for(spec, index)
            if position == 0 and on_label is not None and spec.path:
                label = self.label(spec.path, index, {v: values[v] for v in item_inputs})
                if len(scopes) > 1:
                    label = f"{len(scopes)} items from {label}"
                on_label(label[:250])  # Airflow keeps at most 250 characters
            run_nodes(nodes, values, None, spec.drops)
            refs = {}
            for name in spec.outputs:
                if name in spec.expanders:
                    items = values[name]
                    for j, item in enumerate(items):
                        self.store.put(self.ref(name, index + (j,)), item)
                    refs[name] = self.store.put(self.ref(name, index), len(items))  # manifest last
                    self._counts[(name, index)] = len(items)
                else:
                    refs[name] = self.store.put(self.ref(name, index), values[name])
            written[index] = refs
        return written

    def scopes_at(self, path: tuple[str, ...]) -> list[Index]:
        """Every index of the block path, in item order, read from the expanders' manifests."""
        scopes: list[Index] = [()]
        for expander in path:
            scopes = [s + (j,) for s in scopes for j in range(self.item_count(expander, s))]
        return scopes

    @staticmethod
    def chunks(scopes: list[Index], max_map_length: int) -> list[dict[str, Any]]:
        """Pack scopes, in order, into at most ``max_map_length`` chunks of near-equal size.

        >>> TaskRun.chunks([(0,), (1,), (2,)], 2)
        [{'scopes': [[0], [1]]}, {'scopes': [[2]]}]
        """
        if not scopes:
            return []
        size = max(1, math.ceil(len(scopes) / max(1, max_map_length)))
        return [{"scopes": [list(s) for s in scopes[start : start + size]]} for start in range(0, len(scopes), size)]


def run_task(
    spec: PipelineSpec,
    task_name: str,
    run_id: str,
    external: Mapping[str, Any],
    chunk: Mapping[str, Any] | None = None,
    max_map_length: int = 1024,
    on_label: Callable[[str], None] | None = None,
) -> Any:
    """Run one compiled task and return what it pushes to XCom (see the module docstring).

    ``external`` holds the pipeline's inputs: params, context values and config.
    ``chunk`` is given for mapped tasks; ``on_label`` then receives their UI label.
    """
    pipeline = load(spec)
    run = TaskRun(pipeline, run_id, external)
    task = pipeline.plan.task.get(task_name)
    if task is None or (chunk is None) != (not task.path):
        how = "is not in its plan" if task is None else f"was called {'with' if chunk else 'without'} a chunk"
        raise HamilflowError(
            f"task '{task_name}' of DAG '{spec.dag_id}' {how}: the DAG file does not match its pipeline spec. "
            "Recompile it (hamilflow compile --recompile) and do not edit it by hand."
        )
    scopes = [tuple(s) for s in chunk["scopes"]] if chunk is not None else [()]
    try:
        written = run.run(task_name, scopes, on_label)
    except ArtifactNotFoundError as error:
        add_note(
            error,
            f"hamilflow: task '{task_name}' reads what its upstream tasks wrote to {run.store.url}. Every task "
            "of a run must use the same artifact store: on several machines, set HAMILFLOW_STORE_URL (or compile "
            "with --store-url) to shared storage such as s3://bucket/prefix.",
        )
        raise
    if chunk is not None:
        return {"refs": {name: [written[s][name] for s in scopes] for name in task.outputs}}
    if task.lists_own_chunks:
        (expander,) = task.expanders
        return run.chunks(run.scopes_at((expander,)), max_map_length)  # a top-level task: its only scope is ()
    return {"refs": written[()]}


def list_block_chunks(spec: PipelineSpec, expander: str, run_id: str, max_map_length: int = 1024) -> list:
    """The chunks of an inner block: every (outer, inner) scope of ``expander``, packed for ``.expand()``."""
    pipeline = load(spec)
    run = TaskRun(pipeline, run_id, {})
    return run.chunks(run.scopes_at(pipeline.plan.value_paths[expander]), max_map_length)


def read_outputs(spec: PipelineSpec, run_id: str, store: ArtifactStore | None = None) -> dict[str, Any]:
    """The final values of one run of a compiled pipeline, read back from the store.

    >>> read_outputs(spec, "manual__2026-01-01T00:00:00+00:00")  # doctest: +SKIP
    {'total_words': 42}
    """
    store = store or open_store(spec)
    try:
        paths = load(spec).plan.value_paths
    except (ImportError, StalePipelineError):  # without the pipeline's code: values as stored
        paths = {}
    outputs = {}
    for name in spec.final_vars:
        value = store.get(store.ref(spec.dag_id, run_id, name, ()))
        if paths.get(name) == (name,):  # a top-level expander: ``value`` is its manifest; the Driver gives its items
            value = store.get_many(store.ref(spec.dag_id, run_id, name, (j,)) for j in range(value))
        outputs[name] = value
    return outputs
