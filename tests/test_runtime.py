"""The Airflow runtime without Airflow: run_task and TaskRun on a temporary store, as compiled tasks call them."""

from __future__ import annotations

import datetime
import importlib
import json
import os
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path
from typing import Any

import pytest

from hamilflow import driver
from hamilflow.compiler import CompiledDag, CompileOptions, compile_pipeline
from hamilflow.errors import HamilflowError
from hamilflow.runtime.airflow import CompiledPipeline, context_value, max_map_length
from hamilflow.runtime.spec import PipelineSpec
from hamilflow.runtime.store import ArtifactStore
from hamilflow.runtime.task import (
    StalePipelineError,
    TaskRun,
    chunk_sizes,
    list_block_chunks,
    load,
    read_outputs,
    run_task,
)

WORD_COUNT = "examples.word_count.pipeline"
BLOCKS = "tests.resources.airflow.blocks"
CUBE = "tests.resources.airflow.cube"


def _compile(tmp_path: Path, modules: list[str], dag_id: str, **options: Any) -> CompiledDag:
    output, store = str(tmp_path / f"{dag_id}.py"), str(tmp_path / "store")
    return compile_pipeline(CompileOptions(modules=modules, dag_id=dag_id, output=output, store_url=store, **options))


def _simulate(
    compiled: CompiledDag, run_id: str, external: dict[str, Any], max_map_length: int = 1024, labels: list | None = None
) -> dict[str, list]:
    """Run every task the way the compiled DAG does: mapped tasks once per chunk; returns each task's XComs."""
    spec, plan = compiled.spec, compiled.plan
    values = {**spec.config, **external}
    xcoms: dict[str, list] = {}
    pending = list(plan.tasks)
    while pending:  # in dependency order (a grouping may list a task before one it reads from)
        task = next(t for t in pending if all(plan.producer[v] in xcoms for v in t.inputs))
        pending.remove(task)
        if task.path:
            chunks = list_block_chunks(spec, task.path[-1], run_id, max_map_length)
            assert len(chunks) <= max_map_length
            on_label = labels.append if labels is not None else None
            xcoms[task.name] = [
                run_task(spec, task.name, run_id, values, chunk, max_map_length, on_label) for chunk in chunks
            ]
        else:
            xcoms[task.name] = [run_task(spec, task.name, run_id, values, None, max_map_length)]
    return xcoms


def _local(modules: list[str], outputs: list[str], inputs: dict | None = None) -> dict[str, Any]:
    loaded = [importlib.import_module(m) for m in modules]
    return driver.Builder().with_modules(*loaded).build().raw_execute(outputs, inputs=inputs or {})


def test_word_count_through_the_runtime_equals_the_driver_and_xcom_holds_no_data(tmp_path) -> None:
    compiled = _compile(tmp_path, [WORD_COUNT], "wc", final_vars=["total_words"])
    labels: list[str] = []
    xcoms = _simulate(compiled, "run-1", {"corpus": "classics"}, labels=labels)

    assert read_outputs(compiled.spec, "run-1") == _local([WORD_COUNT], ["total_words"]) == {"total_words": 109}
    text = json.dumps(xcoms)  # every XCom is JSON ...
    assert "alice" not in text and "file:" not in text and "109" not in text  # ... of references, never values
    assert xcoms["url"] == [[{"scopes": [[0]]}, {"scopes": [[1]]}, {"scopes": [[2]]}]]
    assert xcoms["url_loaded__counts"][0] == {"refs": {"counts": ["wc/run-1/counts/0.pkl"]}}
    assert xcoms["total_words"] == [{"refs": {"total_words": "wc/run-1/total_words/_.pkl"}}]
    assert [label.rsplit("/", 1)[-1] for label in labels] == ["alice.txt'", "moby.txt'", "pride.txt'"]
    assert all(label.startswith("url='file:") and len(label) <= 70 for label in labels)


def test_two_runs_of_one_dag_never_share_an_artifact(tmp_path) -> None:
    compiled = _compile(tmp_path, [WORD_COUNT], "wc", final_vars=["total_words"])
    first, second = "scheduled__2026-01-01T00:00:00+00:00", "scheduled__2026-01-02T00:00:00+00:00"
    _simulate(compiled, first, {"corpus": "classics"})
    _simulate(compiled, second, {"corpus": "empty"})

    store = ArtifactStore(compiled.spec.store_url)
    refs_first, refs_second = store.list_run("wc", first), store.list_run("wc", second)
    assert refs_first and refs_second and not set(refs_first) & set(refs_second)
    assert all(r.startswith("wc/scheduled__2026-01-01T00%3A00%3A00%2B00%3A00/") for r in refs_first)
    assert "wc/scheduled__2026-01-01T00%3A00%3A00%2B00%3A00/url%23items/0.pkl" in refs_first
    assert read_outputs(compiled.spec, first) == {"total_words": 109}
    assert read_outputs(compiled.spec, second) == {"total_words": 0}


def test_an_expander_writes_its_manifest_after_every_item(tmp_path, monkeypatch) -> None:
    compiled = _compile(tmp_path, [WORD_COUNT], "wc", final_vars=["total_words"])
    written: list[str] = []
    put = ArtifactStore.put

    def recording_put(self: ArtifactStore, ref: str, value: Any, sync: bool = True) -> str:
        written.append(ref)
        return put(self, ref, value, sync=sync)

    def recording_sync(self: ArtifactStore) -> None:
        written.append(f"sync {len(self._unsynced)}")
        sync(self)

    sync = ArtifactStore.sync
    monkeypatch.setattr(ArtifactStore, "put", recording_put)
    monkeypatch.setattr(ArtifactStore, "sync", recording_sync)
    chunks = run_task(compiled.spec, "url", "run-m", {"corpus": "classics"})

    # the items (three small ones: one segment), one flush, the manifest (the commit point), its flush
    written = [ref for ref in written if "hamilflow%3Acode_version" not in ref]  # the run's code version first
    assert written == [
        "wc/run-m/url%23items/0.pkl",
        "sync 1",
        "wc/run-m/url/_.pkl",
        "sync 1",
    ]
    assert ArtifactStore(compiled.spec.store_url).get("wc/run-m/url/_.pkl") == 3 == len(chunks)


def test_chunks_never_exceed_max_map_length_and_keep_item_order() -> None:
    for count in (0, 1, 3, 4, 5, 10, 97):
        scopes = [(i,) for i in range(count)]
        for limit in (1, 2, 4, 1024):
            chunks = TaskRun.chunks(scopes, limit)
            assert len(chunks) <= limit
            assert [tuple(s) for c in chunks for s in c["scopes"]] == scopes
            assert all(json.loads(json.dumps(c)) == c for c in chunks)
    assert [len(c["scopes"]) for c in TaskRun.chunks([(i,) for i in range(10)], 4)] == [3, 3, 2, 2]


def test_packing_follows_the_items_per_task_or_the_deployments_slots_never_past_max_map_length() -> None:
    assert chunk_sizes(0, 0, 4) == []
    assert chunk_sizes(1_000, 0, slots=4) == [63] * 8 + [62] * 8  # 4 instances per slot, near-equal
    assert chunk_sizes(10, 0, slots=4) == [1] * 10  # fewer items than instances: one item each
    assert chunk_sizes(10, 0, slots=None) == [1] * 10  # deployment unknown: not packed
    assert chunk_sizes(10, items_per_task=4, slots=1) == [4, 4, 2]  # the user's choice wins over the slots
    assert chunk_sizes(10, items_per_task=1, slots=1) == [1] * 10
    assert chunk_sizes(10_000, items_per_task=1, max_map_length=1024) == [10] * 784 + [9] * 240
    for count in (1, 7, 1_000, 10_000):
        for items, slots, limit in ((0, 1, 1024), (0, 16, 1024), (3, None, 1024), (0, 512, 4), (1, None, 3)):
            sizes = chunk_sizes(count, items, slots, limit)
            assert sum(sizes) == count and 0 not in sizes and len(sizes) <= limit


def test_the_spec_records_each_blocks_packing_from_the_option_and_the_expanders_tag(tmp_path) -> None:
    auto = _compile(tmp_path, [BLOCKS], "blocks_auto", final_vars=["summary", "second_total"])
    assert auto.spec.chunking == {
        "a": {"items_per_task": 0},
        "b": {"items_per_task": 0},
        "second": {"items_per_task": 0},
    }
    fixed = _compile(tmp_path, [BLOCKS], "blocks_fixed", final_vars=["summary"], items_per_task=2)
    assert fixed.spec.chunking == {"a": {"items_per_task": 2}, "b": {"items_per_task": 2}}
    assert PipelineSpec.from_dict(fixed.spec.to_dict()) == fixed.spec  # the DAG file keeps it in its SPEC
    assert "'items_per_task': 2" in repr(fixed.dag.spec) and '"chunking"' in fixed.source


def test_a_packed_chunk_is_labelled_by_its_first_and_last_items_and_outputs_equal_the_driver(tmp_path) -> None:
    compiled = _compile(tmp_path, [BLOCKS], "packed", final_vars=["summary"], items_per_task=3)
    labels: list[str] = []
    xcoms = _simulate(compiled, "run-p", {}, labels=labels)

    assert [len(c["scopes"]) for c in xcoms["a"][0]] == [3, 1]  # 4 items, 3 per instance
    assert "3 items: a=0 … a=2" in labels and "a=3" in labels
    assert read_outputs(compiled.spec, "run-p") == _local([BLOCKS], ["summary"])


def test_a_failing_item_of_a_chunk_is_named_by_node_index_and_label(tmp_path) -> None:
    failing = "tests.resources.airflow.failing"
    compiled = _compile(tmp_path, [failing], "failing_packed", final_vars=["report"], items_per_task=4)
    spec = compiled.spec
    (chunk,) = run_task(spec, "item", "run-f", {"n_items": 4})
    labels: list[str] = []
    with pytest.raises(Exception, match="item 2 is broken") as caught:
        run_task(spec, "work", "run-f", {"fail_at": 2}, chunk, on_label=labels.append)

    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "node 'work' failed for item 2 of the 4 items of this chunk: index [2], item=2" in notes
    assert labels == ["4 items: item=0 … item=3", "4 items: item 2 failed, item=2"]
    # a retry of the chunk rewrites the same artifacts: one per (node, index), nothing duplicated
    store = ArtifactStore(spec.store_url)
    run_task(spec, "work", "run-f", {"fail_at": 99}, chunk)
    first = store.list_run("failing_packed", "run-f")
    run_task(spec, "work", "run-f", {"fail_at": 99}, chunk)
    assert store.list_run("failing_packed", "run-f") == first
    assert [r for r in first if "/work/" in r] == [f"failing_packed/run-f/work/{i}.pkl" for i in range(4)]


def test_automatic_packing_reads_the_deployments_slots_and_the_tasks_cap(tmp_path, monkeypatch) -> None:
    from hamilflow.runtime.airflow import deployment_slots

    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "3")
    monkeypatch.setenv("AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG", "16")
    assert deployment_slots() == 3
    assert deployment_slots({"dag": types.SimpleNamespace(max_active_tasks=2)}) == 2
    compiled = _compile(tmp_path, ["tests.resources.airflow.many"], "many_auto", final_vars=["squares"])
    chunks = run_task(compiled.spec, "item", "run-a", {"n_items": 100}, slots=deployment_slots())
    assert [len(c["scopes"]) for c in chunks] == [9] * 4 + [8] * 8  # 4 instances per slot, 3 slots


@pytest.mark.parametrize("grouping", ["default", "chains", "all", "individual"])
def test_nested_blocks_and_several_collects_equal_the_driver_in_every_grouping(tmp_path, grouping) -> None:
    outputs = ["summary", "second_total", "mixed", "pairs", "cube"]
    compiled = _compile(tmp_path, [BLOCKS, CUBE], "bc", final_vars=outputs, grouping=grouping)
    labels: list[str] = []
    _simulate(compiled, "run-g", {}, max_map_length=3, labels=labels)

    assert read_outputs(compiled.spec, "run-g") == _local([BLOCKS, CUBE], outputs)
    assert "2 items: plane=0, line=[0, 0], point=[0, 0, 0] … plane=0, line=[0, 0], point=[0, 0, 1]" in labels


def test_zero_items_give_no_chunks_and_empty_collections(tmp_path) -> None:
    compiled = _compile(tmp_path, [CUBE], "cube0", final_vars=["cube"])
    xcoms = _simulate(compiled, "run-0", {"n_planes": 0})

    assert xcoms["plane"] == [[]]
    assert read_outputs(compiled.spec, "run-0") == {"cube": []} == _local([CUBE], ["cube"], {"n_planes": 0})


def test_a_task_whose_pipeline_changed_refuses_to_run(tmp_path, monkeypatch) -> None:
    name = f"stale_runtime_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("def answer(x: int = 1) -> int:\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    compiled = _compile(tmp_path, [name], "stale")
    assert run_task(compiled.spec, "answer", "run-s", {"x": 1}) == {"refs": {"answer": "stale/run-s/answer/_.pkl"}}

    (tmp_path / f"{name}.py").write_text("def answer(x: int = 1) -> int:\n    return x + 100\n")
    monkeypatch.delitem(sys.modules, name)  # a worker process imports the code as it is now
    with pytest.raises(StalePipelineError, match="pipeline changed since this DAG was compiled: recompile"):
        run_task(compiled.spec, "answer", "run-s2", {"x": 1})


def test_a_dag_file_that_does_not_match_its_plan_is_refused(tmp_path) -> None:
    compiled = _compile(tmp_path, [WORD_COUNT], "wc", final_vars=["total_words"])
    with pytest.raises(HamilflowError, match="without a chunk.*[Rr]ecompile"):
        run_task(compiled.spec, "url_loaded__counts", "run-x", {})
    with pytest.raises(HamilflowError, match="'nope'.*not in its plan"):
        run_task(compiled.spec, "nope", "run-x", {})


def test_the_pipeline_is_loaded_once_per_process(tmp_path) -> None:
    compiled = _compile(tmp_path, [WORD_COUNT], "wc", final_vars=["total_words"])
    spec = PipelineSpec.from_json(compiled.spec.to_json())
    assert load(spec) is load(compiled.spec)


class _TaskInstance:
    dag_id, task_id, map_index, try_number = "d", "t", 3, 2


def test_context_values_come_from_the_context_task_instance_and_dag_run() -> None:
    after = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    day = datetime.datetime(2025, 3, 4, tzinfo=datetime.timezone.utc)
    context = {
        "ti": _TaskInstance(),
        "dag_run": types.SimpleNamespace(run_after=after),
        "logical_date": day,
        "ds": "2025-03-04",
        "run_id": "r",
    }
    assert [context_value(context, n) for n in ("dag_id", "task_id", "map_index", "try_number")] == ["d", "t", 3, 2]
    assert context_value(context, "logical_date") == day and context_value(context, "ds") == "2025-03-04"
    assert context_value(context, "run_after") == after
    # an Airflow 3 manual run has no logical date: date inputs fall back to when the run was due
    manual = {"ti": _TaskInstance(), "dag_run": types.SimpleNamespace(run_after=after), "logical_date": None}
    assert context_value(manual, "logical_date") == after == context_value(manual, "data_interval_start")
    assert context_value(manual, "ds") == "2026-01-02" and context_value(manual, "ts_nodash") == "20260102T030405"


def test_external_values_merge_config_params_and_context(tmp_path) -> None:
    compiled = _compile(
        tmp_path, ["examples.features.pipeline"], "features", final_vars=["features"], config={"unused": 1}
    )
    pipeline = CompiledPipeline(compiled.spec.to_json())
    day = datetime.datetime(2025, 3, 4, tzinfo=datetime.timezone.utc)
    context = {"params": {"events_per_day": 7, "other": 1}, "data_interval_start": day}
    assert pipeline.external_values(context) == {"unused": 1, "events_per_day": 7, "data_interval_start": day}


def test_a_param_only_optional_parameters_read_is_left_out_at_the_functions_default_unless_the_conf_sets_it(
    tmp_path,
) -> None:
    """``events_per_day: int = 40``: a run that keeps 40 and does not name it in its conf does not pass it (the
    function's default applies, as in a Driver); a conf that names it, or another value, is passed."""
    compiled = _compile(tmp_path, ["examples.features.pipeline"], "features", final_vars=["features"])
    assert compiled.spec.function_defaults == {"events_per_day": 40}
    pipeline = CompiledPipeline(compiled.spec.to_dict())

    def given(value: Any, conf: dict | None) -> dict[str, Any]:
        context = {"params": {"events_per_day": value}, "dag_run": types.SimpleNamespace(conf=conf)}
        return {k: v for k, v in pipeline.external_values(context).items() if k in pipeline.spec.params}

    assert given(40, None) == given(40, {}) == {}
    assert given(40, {"events_per_day": 40}) == given(40.0, None) == {"events_per_day": 40}
    assert given(7, None) == {"events_per_day": 7}


def test_max_map_length_follows_the_environment_on_every_call(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "4")
    assert max_map_length() == 4
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "9")
    assert max_map_length() == 9


def test_a_missing_upstream_artifact_says_every_task_needs_the_same_store(tmp_path) -> None:
    from hamilflow.runtime.store import ArtifactNotFoundError

    compiled = _compile(tmp_path, [WORD_COUNT], "wc", final_vars=["total_words"])
    with pytest.raises(ArtifactNotFoundError) as caught:
        run_task(compiled.spec, "total_words", "never-ran", {})
    assert "HAMILFLOW_STORE_URL" in "".join(getattr(caught.value, "__notes__", []))


def test_an_expander_requested_as_an_output_reads_back_as_its_items_like_the_driver(tmp_path) -> None:
    compiled = _compile(tmp_path, [WORD_COUNT], "wc", final_vars=["url", "total_words"])
    _simulate(compiled, "run-u", {"corpus": "classics"})
    assert read_outputs(compiled.spec, "run-u") == _local([WORD_COUNT], ["url", "total_words"])


def test_inputs_whose_defaults_json_would_change_keep_the_function_default(tmp_path, monkeypatch) -> None:
    name = f"json_defaults_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        "import datetime\n\n"
        "def span(bounds: tuple = (1, 2), day: datetime.date = datetime.date(2024, 1, 1), n: int = 3) -> str:\n"
        "    return f'{type(bounds).__name__}{bounds} {day:%Y-%m-%d} {n}'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    compiled = _compile(tmp_path, [name], "span")
    assert compiled.spec.params == ("n",)  # a tuple or a date would reach the function as a list or a string

    _simulate(compiled, "run-j", {"n": 3})
    assert read_outputs(compiled.spec, "run-j") == _local([name], ["span"]) == {"span": "tuple(1, 2) 2024-01-01 3"}
    monkeypatch.delitem(sys.modules, name)


def _fresh_process(monkeypatch, *modules: str) -> None:
    """What a new Airflow task process sees: no pipeline loaded, the pipeline's modules not imported."""
    import hamilflow.runtime.task as task_module

    monkeypatch.setattr(task_module, "_LOADED", {})
    for name in modules:
        monkeypatch.delitem(sys.modules, name, raising=False)


def test_a_task_reads_its_plan_from_the_workers_cache_without_building_the_graph(tmp_path, monkeypatch) -> None:
    import hamilflow.runtime.task as task_module

    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", str(tmp_path / "plans"))
    compiled = _compile(tmp_path, [WORD_COUNT], "wc_cached", final_vars=["total_words"])
    _fresh_process(monkeypatch)
    first = load(compiled.spec)  # the first task of this code version builds, checks and caches
    assert not first.from_cache and len(list((tmp_path / "plans").glob("*.pkl"))) == 1

    _fresh_process(monkeypatch)

    def no_graph(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the graph was rebuilt")

    monkeypatch.setattr(task_module, "pipeline_graph", no_graph)
    monkeypatch.setattr(task_module, "build_plan", no_graph)
    xcoms = _simulate(compiled, "run-c", {"corpus": "classics"})
    assert load(compiled.spec).from_cache
    assert xcoms["url"][0] == [{"scopes": [[0]]}, {"scopes": [[1]]}, {"scopes": [[2]]}]
    monkeypatch.undo()
    assert read_outputs(compiled.spec, "run-c") == _local([WORD_COUNT], ["total_words"], {"corpus": "classics"})


def test_a_changed_function_is_still_stale_with_a_cached_plan(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", str(tmp_path / "plans"))
    name = f"cached_stale_{uuid.uuid4().hex[:8]}"
    module = tmp_path / f"{name}.py"
    module.write_text(
        "def answer(x: int = 1) -> int:\n    return x + 1\n\n\ndef other(x: int = 1) -> int:\n    return x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    compiled = _compile(tmp_path, [name], "cached_stale", final_vars=["answer", "other"])
    run_task(compiled.spec, "answer", "run-1", {"x": 1})
    _fresh_process(monkeypatch, name)
    assert load(compiled.spec).from_cache

    module.write_text(module.read_text().replace("return x\n", "return x * 2\n"))  # the other function changed
    _fresh_process(monkeypatch, name)
    importlib.invalidate_caches()
    with pytest.raises(StalePipelineError, match="recompile"):
        run_task(compiled.spec, "answer", "run-2", {"x": 1})


def test_a_plan_cache_folder_others_can_write_to_is_not_used(tmp_path, monkeypatch) -> None:
    from hamilflow.runtime import plan_cache

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", str(shared))
    assert plan_cache.cache_dir() is None
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", "off")
    assert plan_cache.cache_dir() is None
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", str(tmp_path / "private"))
    assert plan_cache.cache_dir() == tmp_path / "private"
    assert (tmp_path / "private").stat().st_mode & 0o777 == 0o700


def test_a_worker_that_cannot_import_the_pipeline_names_the_module_its_sys_path_and_the_fix() -> None:
    from hamilflow.errors import ModuleImportError
    from hamilflow.runtime.spec import PipelineSpec
    from hamilflow.runtime.task import load

    spec = PipelineSpec(dag_id="gone", modules=("pipelines_not_deployed.daily",), final_vars=("x",), fingerprint="0")
    with pytest.raises(ModuleImportError) as info:
        load(spec)
    message = str(info.value)
    assert "cannot import module 'pipelines_not_deployed.daily'" in message
    assert "sys.path = [" in message and "PYTHONPATH" in message and "every worker" in message


def test_the_plan_cache_keeps_the_plans_written_last(tmp_path, monkeypatch) -> None:
    from hamilflow.runtime import plan_cache

    folder = tmp_path / "plans"
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", str(folder))
    monkeypatch.setattr(plan_cache, "KEEP", 2)
    folder.mkdir(mode=0o700)
    for i, age in enumerate((300, 200, 100)):
        old = folder / f"old{i}.pkl"
        old.write_bytes(b"")
        os.utime(old, (time.time() - age, time.time() - age))
    compiled = _compile(tmp_path, [WORD_COUNT], "wc_pruned", final_vars=["total_words"])
    _fresh_process(monkeypatch)
    load(compiled.spec)

    assert sorted(p.name for p in folder.iterdir()) == sorted(["old2.pkl", f"{plan_cache._key(compiled.spec)}.pkl"])


_WORKER_PACKING = """
from airflow.sdk import dag, task
from airflow.sdk.execution_time.supervisor import block_orm_access
from hamilflow.runtime.airflow import deployment_slots, pool_size

block_orm_access()  # what Airflow 3's supervisor does in every task process it starts


@dag(schedule=None)
def pooled():
    @task
    def chunks():
        return []

    @task(pool="hamilflow_one_slot", pool_slots=2)  # an instance takes 2 of the pool's slots
    def work(chunk):
        return chunk

    work.expand(chunk=chunks())


lister = pooled().get_task("chunks")
print(pool_size("hamilflow_one_slot"), deployment_slots({"task": lister}), deployment_slots({}))
"""


def test_a_worker_that_may_not_read_its_pool_packs_from_the_configured_size_without_error(tmp_path) -> None:
    # Airflow 3 blocks the ORM in a task process and its Task SDK cannot read a pool: the configured size stands in
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(tmp_path),
        AIRFLOW__CORE__DEFAULT_POOL_TASK_SLOT_COUNT="7",
        AIRFLOW__CORE__PARALLELISM="32",
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )
    done = subprocess.run([sys.executable, "-c", _WORKER_PACKING], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["7", "3", "7"]  # the pool holds 7 // 2 instances of the block's task
