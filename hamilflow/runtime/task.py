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

An expander writes its items (packed 64 to a segment, see :mod:`hamilflow.runtime.items`)
and then a *manifest* (the item count) under ``(expander, index)``. The manifest is written
last, so a collector that finds it knows every item is there; a retried expander rewrites both.

Nested blocks are flattened: an inner block's mapped tasks run over every
``(outer, inner)`` index pair, listed by the ``<expander>_items`` task from manifests.

Packing. Airflow pays about half a second per mapped task instance, whatever it runs, so
a block's scopes are packed into chunks: :func:`chunk_sizes` is the one rule. The
compiler records each block's choice in the spec (``chunking``: a fixed number of items
per instance, from ``--items-per-task`` or the expander's ``@tag(airflow_items_per_task=...)``,
or 0 for automatic); the task that lists the block's chunks applies it. Automatic packing
makes :data:`AUTO_CHUNKS_PER_SLOT` instances per task slot the deployment runs at once
(``parallelism``, the DAG's ``max_active_tasks``, the slots of the pool the block's tasks run
in, the tasks' ``max_active_tis_per_dag``; see :func:`hamilflow.runtime.airflow.deployment_slots`),
never more instances than items nor than ``max_map_length``.
A chunk's instance is labelled by its first and last items (``12 items: segment='smb' …
segment='partner'``); an item that fails is named in the error and in the label, and a
retry runs the whole chunk again, rewriting the same ``(node, index)`` artifacts.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from hamilflow.caching.keys import KeyBuilder
from hamilflow.caching.results import CacheRef, CacheSettings, TaskCache, graph_behaviors, task_cache
from hamilflow.errors import HamilflowError, add_note
from hamilflow.execution.item_failures import ItemFailure, failed_node, failure_for, judge, screen
from hamilflow.execution.node_runner import run_nodes
from hamilflow.execution.plan import Plan, ReadKind, TaskSpec, build_plan, gather_inputs
from hamilflow.frontend import import_modules
from hamilflow.materializers import SAVER_TAG, pipeline_graph
from hamilflow.runtime import code_version, plan_cache
from hamilflow.runtime.hooks import TaskHooks, lifecycle_of
from hamilflow.runtime.items import ItemReader, write_items
from hamilflow.runtime.spec import PipelineSpec
from hamilflow.runtime.store import ArtifactNotFoundError, ArtifactStore, store_from_env

if TYPE_CHECKING:
    from hamilflow.lifecycle import Lifecycle

Index = tuple[int, ...]
log = logging.getLogger(__name__)

AUTO_CHUNKS_PER_SLOT = 4  # automatic packing: mapped instances per task slot of the deployment


def saved_target(metadata: Any) -> Any:
    """Where a saver wrote, for XCom: the path or URL in Hamilton's saver metadata, else the metadata as text.

    >>> saved_target({"file_metadata": {"path": "out/features.parquet", "size": 10}})
    'out/features.parquet'
    """
    if isinstance(metadata, dict):
        for found in (metadata.get("file_metadata"), metadata):
            if isinstance(found, dict) and isinstance(found.get("path"), str):
                return found["path"]
    return str(metadata)[:1000]


def chunk_sizes(count: int, items_per_task: int = 0, slots: int | None = None, max_map_length: int = 1024) -> list[int]:
    """How many items each mapped instance of a block runs, in order: the one packing rule.

    ``items_per_task`` ≥ 1 is the user's choice (the last chunk takes what is left);
    0 is automatic: :data:`AUTO_CHUNKS_PER_SLOT` instances per slot of the ``slots``
    the deployment runs at once (unknown: one item per instance), in near-equal chunks.
    Never more instances than ``max_map_length`` (Airflow refuses more).

    >>> chunk_sizes(10, slots=1), chunk_sizes(10, items_per_task=4), chunk_sizes(10, slots=4)
    ([3, 3, 2, 2], [4, 4, 2], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    """
    if count <= 0:
        return []
    limit = max(1, max_map_length)
    if items_per_task >= 1:
        instances = -(-count // items_per_task)
        if instances <= limit:
            return [items_per_task] * (instances - 1) + [count - items_per_task * (instances - 1)]
    elif slots:
        instances = min(count, AUTO_CHUNKS_PER_SLOT * max(1, slots))
    else:
        instances = count
    instances = min(instances, limit)
    base, extra = divmod(count, instances)
    return [base + 1] * extra + [base] * (instances - extra)


class StalePipelineError(HamilflowError):
    """The DAG file was compiled from different pipeline code than the worker imports."""


def open_store(spec: PipelineSpec) -> ArtifactStore:
    """The store a pipeline writes to: the spec's URL, else the environment's default.

    Opened per task from the environment of that moment, so a rotated key is seen.
    """
    return store_from_env(spec.store_url)  # None: default_store_url(), the store module's rule


def _short(value: Any, limit: int = 60) -> str:
    """A repr that fits a UI label; the middle goes, since paths and URLs differ at their ends."""
    return _cut(repr(value), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit // 3] + "…" + text[-(limit - limit // 3 - 1) :]


class LoadedPipeline:
    """A spec's plan and nodes, checked against the spec: rebuilt from the modules the worker imports, or
    read from the worker's plan cache (:mod:`hamilflow.runtime.plan_cache`) for this code version.

    A pipeline read from the cache unpickles only the tasks it is asked for (:meth:`task`,
    :meth:`nodes_of`); its whole ``graph``, ``plan`` and ``nodes`` are built when first used.
    """

    def __init__(self, spec: PipelineSpec, cached: plan_cache.CachedPlan | None = None) -> None:
        self.spec = spec
        self._cached = cached
        if cached is None:
            self._build()

    def _build(self) -> None:
        spec = self.spec
        self.modules = import_modules(spec.modules, from_current_folder=False)  # a worker's sys.path, as deployed
        # with the DAG's adapters, as the compiler built it: an edge check may accept an edge Hamilton's rules refuse
        lifecycle = lifecycle_of(spec.adapters)
        self.graph = pipeline_graph(self.modules, spec.config, spec.materializers, lifecycle)
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
        self._cached = None

    def __getattr__(self, name: str) -> Any:  # graph, plan, nodes of a pipeline read from the cache
        if name in ("graph", "plan", "nodes", "modules") and self.__dict__.get("_cached") is not None:
            self._build()
            return self.__dict__[name]
        raise AttributeError(name)

    @property
    def from_cache(self) -> bool:
        """True while this pipeline is served by the plan cache (its graph not built)."""
        return self._cached is not None

    def task(self, name: str) -> TaskSpec | None:
        """The plan task ``name``, or None."""
        if self._cached is not None:
            found = self._cached.task(name)
            return found[0] if found else None
        return self.plan.task.get(name)

    def nodes_of(self, name: str) -> list:
        """The nodes the plan task ``name`` runs, in order."""
        if self._cached is not None:
            return self._cached.task(name)[1]
        return self.nodes[name]

    @property
    def item_policies(self) -> dict[str, float]:
        """The blocks that may lose items, with the fraction that must succeed (the plan's fact)."""
        return self._cached.item_policies if self._cached is not None else self.plan.item_policies

    @property
    def producer(self) -> dict[str, str]:
        """The task that computes each value."""
        return self._cached.producer if self._cached is not None else self.plan.producer

    def value_path(self, name: str) -> tuple[str, ...] | None:
        """The block path of the value ``name`` (an expander's items live in its own block)."""
        paths = self._cached.value_paths if self._cached is not None else self.plan.value_paths
        return paths.get(name)


_LOADED: dict[tuple, LoadedPipeline] = {}


@contextlib.contextmanager
def _without_gc() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: importing a module of 5,000 functions makes some 100,000
    objects, none of them garbage, and the collector would scan the growing heap every 700 (8x slower)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(spec: PipelineSpec) -> LoadedPipeline:
    """The loaded pipeline for ``spec``, once per process (again if its modules were re-imported): from the
    worker's plan cache when every file it was built from is unchanged, else built, checked and cached."""
    if spec.materializers:  # their nodes carry what the factories read when called (paths): made afresh each task
        with _without_gc():
            return LoadedPipeline(spec)
    with _without_gc():
        modules = tuple(id(m) for m in import_modules(spec.modules, from_current_folder=False))  # cheap once imported
        key = (spec.dag_id, spec.fingerprint, spec.store_url, spec.grouping, spec.modules, spec.final_vars)
        key += (spec.adapters, modules)
        if key in _LOADED:
            return _LOADED[key]
        cached = plan_cache.read(spec)
    if cached is not None:
        _LOADED[key] = LoadedPipeline(spec, cached)
    else:
        pipeline = _LOADED[key] = LoadedPipeline(spec)
        plan_cache.write(spec, pipeline.graph, pipeline.plan, pipeline.modules)
    return _LOADED[key]


class TaskRun:
    """One Airflow task instance's work: which run it belongs to and where values live."""

    def __init__(
        self, pipeline: LoadedPipeline, run_id: str, external: Mapping[str, Any], lifecycle: Lifecycle | None = None
    ) -> None:
        self.pipeline = pipeline
        self.run_id = run_id
        self.external = external
        self.store = open_store(pipeline.spec)
        self.lifecycle = lifecycle
        self.policies = pipeline.item_policies
        self._counts: dict[tuple[str, Index], int] = {}  # manifests read or written by this task
        self._lost: dict[tuple[str, Index], ItemFailure] = {}  # blocks that never opened: their item was dropped
        self.saved: dict[str, list[Any]] = {}  # what each saver node of the task wrote, per scope: its target
        self._keys: KeyBuilder | None = None  # cache keys, when the DAG caches results
        self._cache_behaviors: dict[str, str] = {}  # made with the keys
        self.items = ItemReader(self.store, pipeline.spec.dag_id, run_id)

    def ref(self, node: str, index: Index) -> str:
        return self.store.ref(self.pipeline.spec.dag_id, self.run_id, node, index)

    def item_count(self, expander: str, index: Index) -> int:
        """How many items the expander produced at ``index``: its manifest, written after the items."""
        key = (expander, index)
        if key not in self._counts:
            manifest = self.store.get(self.ref(expander, index))
            if type(manifest) is ItemFailure:  # the expander's own item was dropped under a block policy
                self._lost[key], manifest = manifest, 0
            self._counts[key] = manifest
        return self._counts[key]

    def chunk_label(self, path: tuple[str, ...], scopes: list[Index], known: Mapping[str, Any]) -> str:
        """``12 items: segment='smb' … segment='partner'``: a chunk's size, first and last items (at most 250
        characters, what Airflow keeps). ``known`` are the first scope's items."""
        first = self.label(path, scopes[0], known)
        if len(scopes) == 1:
            return first[:250]
        last = self.label(path, scopes[-1], {})
        head = f"{len(scopes)} items: "
        room = (250 - len(head) - 3) // 2
        return f"{head}{_cut(first, room)} … {_cut(last, room)}"

    def label(self, path: tuple[str, ...], index: Index, known: Mapping[str, Any]) -> str:
        """``region='north', store='oslo'``: the items of one scope, for the Airflow UI.

        Items the task reads anyway come from ``known``; others are read from the store.
        """
        parts = []
        for depth, expander in enumerate(path):
            item = known[expander] if expander in known else self.items.item(expander, index[: depth + 1])
            parts.append(f"{expander}={_short(item)}")
        return ", ".join(parts)

    # ---------------------------------------------------------------- reading
    def inputs_for(self, spec: TaskSpec, index: Index) -> dict[str, Any]:
        values = {v: self.external[v] for v in spec.external if v in self.external}
        values.update(gather_inputs(spec, index, self._read, self.items.item, self.item_count))
        return values

    def _read(self, node: str, index: Index) -> Any:
        value = self.store.get(self.ref(node, index))
        return value.resolve(self.store) if type(value) is CacheRef else value

    def cache_for(self, spec: TaskSpec, nodes: list, index: Index) -> TaskCache | None:
        """The cache of one scope of the task (its nodes' keys), when the DAG caches results."""
        setting = self.pipeline.spec.cache
        if not setting:
            return None
        if self._keys is None:  # keys need the whole graph: built once per task, only with a cache
            self._keys = KeyBuilder(self.pipeline.graph, self.external, self.item_count)
            settings = CacheSettings.from_dict({**setting, "url": self.store.url})
            self._cache_behaviors = graph_behaviors(settings, self.pipeline.graph)
        keys = {n.name: self._keys.key(n.name, index) for n in nodes}
        return task_cache(self.store.url, keys, self._cache_behaviors)

    # ---------------------------------------------------------------- running
    def run(
        self, task_name: str, scopes: Iterable[Index], on_label: Callable[[str], None] | None = None
    ) -> dict[Index, dict[str, str]]:
        """Run ``task_name`` for each scope index; return ``{index: {node: ref}}``.

        ``on_label`` receives the UI label of the scopes (tasks inside blocks) before any node runs.
        Lifecycle adapters see each scope as one Hamilton task (``hooks.TaskHooks``); under a block
        policy a failed item's outputs are written as its :class:`ItemFailure`, and the chunk goes on.
        """
        spec = self.pipeline.task(task_name)
        nodes = self.pipeline.nodes_of(task_name)
        item_inputs = [read.value for read in spec.reads if read.kind is ReadKind.ITEM]
        scopes = list(scopes)
        hooks = TaskHooks(self.lifecycle, self.run_id, spec, nodes, self.pipeline.producer)
        written: dict[Index, dict[str, str]] = {}
        for position, index in enumerate(scopes):
            values = self.inputs_for(spec, index)
            if position == 0 and on_label is not None and spec.path:
                on_label(self.chunk_label(spec.path, scopes, {v: values[v] for v in item_inputs}))
            failure = self._screen(spec, index, values) if self.policies else None
            cache = self.cache_for(spec, nodes, index) if failure is None else None
            if failure is None:
                try:
                    hooks.run(index, values, functools.partial(self._run_nodes, spec, nodes, values, cache=cache))
                except Exception as error:
                    if spec.path:
                        node = failed_node(error, spec.nodes[0])
                        where = self._name_failed_item(error, spec, node, scopes, position, values, item_inputs)
                        failure = self._dropped(spec, index, error) if self.policies else None
                        if failure is None:
                            if on_label is not None and len(scopes) > 1:
                                on_label(f"{len(scopes)} items: item {position} failed, {where}"[:250])
                            raise
                        log.error("item %s dropped under its block's policy: %s", list(index), failure, exc_info=error)
                    else:
                        raise
            written[index] = self._write(spec, index, values, failure, cache)
            if failure is None:
                for node in nodes:
                    if node.tags.get(SAVER_TAG) and node.name in values:
                        self.saved.setdefault(node.name, []).append(saved_target(values[node.name]))
        self.store.sync()  # one flush for the whole chunk, before its refs reach XCom
        return written

    def _run_nodes(
        self,
        spec: TaskSpec,
        nodes: list,
        values: dict[str, Any],
        lifecycle: Lifecycle | None,
        task_id: str,
        cache: TaskCache | None = None,
    ) -> None:
        drops = None if lifecycle is not None and lifecycle.keeps_task_values else spec.drops
        run_nodes(nodes, values, None, drops, lifecycle, self.run_id, task_id, cache)

    def _write(
        self,
        spec: TaskSpec,
        index: Index,
        values: Mapping[str, Any],
        failure: ItemFailure | None,
        cache: TaskCache | None = None,
    ) -> dict:
        """Write the scope's outputs (each its failure, when the item was dropped; a reference to the cache, when
        read from it); return their refs."""
        refs = {}
        for name in spec.outputs:
            if cache is not None and name in cache.hits and name not in spec.expanders:
                refs[name] = self.store.put(self.ref(name, index), CacheRef(cache.keys[name]), sync=False)
            elif failure is not None:
                refs[name] = self.store.put(self.ref(name, index), failure, sync=False)
                if name in spec.expanders:
                    self._counts[(name, index)] = 0
            elif name in spec.expanders:
                items = values[name]
                # the items, then one flush for all of them, then the manifest: the commit point
                write_items(self.store, self.pipeline.spec.dag_id, self.run_id, name, index, items)
                self.store.sync()
                refs[name] = self.store.put(self.ref(name, index), len(items), sync=False)
                self._counts[(name, index)] = len(items)
            else:
                refs[name] = self.store.put(self.ref(name, index), values[name], sync=False)
        return refs

    def _screen(self, spec: TaskSpec, index: Index, values: dict[str, Any]) -> ItemFailure | None:
        def lost(block: str, prefix: Index) -> ItemFailure | None:
            self.item_count(block, prefix)
            return self._lost.get((block, prefix))

        def judged(block: str, prefix: Index, total: int, failures: list[ItemFailure]) -> None:
            judge(block, self.policies[block], total, failures)

        return screen(spec, index, values, self.policies, lost, judged)

    def _dropped(self, spec: TaskSpec, index: Index, error: BaseException) -> ItemFailure | None:
        return failure_for(spec.path, index, self.policies, failed_node(error, spec.nodes[0]), error)

    def _name_failed_item(
        self,
        error: BaseException,
        spec: TaskSpec,
        node: str,
        scopes: list[Index],
        position: int,
        values: Mapping[str, Any],
        item_inputs: list[str],
    ) -> str:
        """Say in the error which item of the chunk failed (node, index, position, label); return its label."""
        index = scopes[position]
        try:
            where = self.label(spec.path, index, {v: values[v] for v in item_inputs if v in values})
        except Exception:  # noqa: BLE001 - naming the item must not hide the user's error
            where = "?"
        of = f"item {position} of the {len(scopes)} items of this chunk" if len(scopes) > 1 else "the item"
        add_note(
            error,
            f"hamilflow: node '{node}' failed for {of}: index {list(index)}, {where}. A retry runs the "
            "whole chunk again and rewrites the same artifacts.",
        )
        return where

    def scopes_at(self, path: tuple[str, ...]) -> list[Index]:
        """Every index of the block path, in item order, read from the expanders' manifests."""
        scopes: list[Index] = [()]
        for expander in path:
            scopes = [s + (j,) for s in scopes for j in range(self.item_count(expander, s))]
        return scopes

    @staticmethod
    def chunks(
        scopes: list[Index], max_map_length: int, items_per_task: int = 0, slots: int | None = None
    ) -> list[dict[str, Any]]:
        """Pack scopes, in order, into chunks as :func:`chunk_sizes` says.

        >>> TaskRun.chunks([(0,), (1,), (2,)], 2)
        [{'scopes': [[0], [1]]}, {'scopes': [[2]]}]
        """
        out, start = [], 0
        for size in chunk_sizes(len(scopes), items_per_task, slots, max_map_length):
            out.append({"scopes": [list(s) for s in scopes[start : start + size]]})
            start += size
        return out

    def block_chunks(self, expander: str, max_map_length: int, slots: int | None) -> list[dict[str, Any]]:
        """The chunks of the block ``expander`` opens, packed as the spec's ``chunking`` says for it."""
        setting = self.pipeline.spec.chunking.get(expander, {})
        cap = setting.get("max_active_tis_per_dag")
        if cap and slots:
            slots = min(slots, cap)
        elif cap:
            slots = cap
        scopes = self.scopes_at(self.pipeline.value_path(expander))
        return self.chunks(scopes, max_map_length, setting.get("items_per_task", 0), slots)


def run_task(
    spec: PipelineSpec,
    task_name: str,
    run_id: str,
    external: Mapping[str, Any],
    chunk: Mapping[str, Any] | None = None,
    max_map_length: int = 1024,
    on_label: Callable[[str], None] | None = None,
    slots: int | None = None,
) -> Any:
    """Run one compiled task and return what it pushes to XCom (see the module docstring).

    ``external`` holds the pipeline's inputs: params, context values and config.
    ``chunk`` is given for mapped tasks; ``on_label`` then receives their UI label.
    ``slots`` is how many tasks the deployment runs at once (automatic packing).
    """
    pipeline = load(spec)
    run = TaskRun(pipeline, run_id, external, lifecycle_of(spec.adapters))
    task = pipeline.task(task_name)
    if task is None or (chunk is None) != (not task.path):
        how = "is not in its plan" if task is None else f"was called {'with' if chunk else 'without'} a chunk"
        raise HamilflowError(
            f"task '{task_name}' of DAG '{spec.dag_id}' {how}: the DAG file does not match its pipeline spec. "
            "Recompile it (hamilflow compile --recompile) and do not edit it by hand."
        )
    code_version.check_run_code(pipeline, run.store, run_id, task_name)  # every task of a run runs the same code
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
    saved = {"saved": run.saved if chunk is not None else {k: v[0] for k, v in run.saved.items()}} if run.saved else {}
    if chunk is not None:
        return {"refs": {name: [written[s][name] for s in scopes] for name in task.outputs}, **saved}
    if task.lists_own_chunks:
        (expander,) = task.expanders
        return run.block_chunks(expander, max_map_length, slots)
    return {"refs": written[()], **saved}


def list_block_chunks(
    spec: PipelineSpec, expander: str, run_id: str, max_map_length: int = 1024, slots: int | None = None
) -> list:
    """The chunks of an inner block: every (outer, inner) scope of ``expander``, packed for ``.expand()``."""
    return TaskRun(load(spec), run_id, {}).block_chunks(expander, max_map_length, slots)


def read_outputs(spec: PipelineSpec, run_id: str, store: ArtifactStore | None = None) -> dict[str, Any]:
    """The final values of one run of a compiled pipeline, read back from the store.

    >>> read_outputs(spec, "manual__2026-01-01T00:00:00+00:00")  # doctest: +SKIP
    {'total_words': 42}
    """
    store = store or open_store(spec)
    try:
        pipeline: LoadedPipeline | None = load(spec)
    except (ImportError, StalePipelineError):  # without the pipeline's code: values as stored
        pipeline = None
    outputs = {}
    for name in spec.final_vars:
        value = store.get(store.ref(spec.dag_id, run_id, name, ()))
        if type(value) is CacheRef:
            value = value.resolve(store)
        if pipeline is not None and pipeline.value_path(name) == (
            name,
        ):  # a top-level expander: ``value`` is its manifest; the Driver gives its items
            value = ItemReader(store, spec.dag_id, run_id).items(name, (), value)
        outputs[name] = value
    return outputs
