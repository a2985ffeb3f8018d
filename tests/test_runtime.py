"""The Airflow runtime without Airflow: run_task and TaskRun on a temporary store, as compiled tasks call them."""

from __future__ import annotations

import datetime
import importlib
import json
import sys
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
from hamilflow.runtime.task import StalePipelineError, TaskRun, list_block_chunks, load, read_outputs, run_task

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
    assert "wc/scheduled__2026-01-01T00%3A00%3A00%2B00%3A00/url/2.pkl" in refs_first
    assert read_outputs(compiled.spec, first) == {"total_words": 109}
    assert read_outputs(compiled.spec, second) == {"total_words": 0}


def test_an_expander_writes_its_manifest_after_every_item(tmp_path, monkeypatch) -> None:
    compiled = _compile(tmp_path, [WORD_COUNT], "wc", final_vars=["total_words"])
    written: list[str] = []
    put = ArtifactStore.put

    def recording_put(self: ArtifactStore, ref: str, value: Any) -> str:
        written.append(ref)
        return put(self, ref, value)

    monkeypatch.setattr(ArtifactStore, "put", recording_put)
    chunks = run_task(compiled.spec, "url", "run-m", {"corpus": "classics"})

    assert written == ["wc/run-m/url/0.pkl", "wc/run-m/url/1.pkl", "wc/run-m/url/2.pkl", "wc/run-m/url/_.pkl"]
    assert ArtifactStore(compiled.spec.store_url).get("wc/run-m/url/_.pkl") == 3 == len(chunks)


def test_chunks_never_exceed_max_map_length_and_keep_item_order() -> None:
    for count in (0, 1, 3, 4, 5, 10, 97):
        scopes = [(i,) for i in range(count)]
        for limit in (1, 2, 4, 1024):
            chunks = TaskRun.chunks(scopes, limit)
            assert len(chunks) <= limit
            assert [tuple(s) for c in chunks for s in c["scopes"]] == scopes
            assert all(json.loads(json.dumps(c)) == c for c in chunks)
    assert [len(c["scopes"]) for c in TaskRun.chunks([(i,) for i in range(10)], 4)] == [3, 3, 3, 1]


@pytest.mark.parametrize("grouping", ["default", "chains", "all", "individual"])
def test_nested_blocks_and_several_collects_equal_the_driver_in_every_grouping(tmp_path, grouping) -> None:
    outputs = ["summary", "second_total", "mixed", "pairs", "cube"]
    compiled = _compile(tmp_path, [BLOCKS, CUBE], "bc", final_vars=outputs, grouping=grouping)
    labels: list[str] = []
    _simulate(compiled, "run-g", {}, max_map_length=3, labels=labels)

    assert read_outputs(compiled.spec, "run-g") == _local([BLOCKS, CUBE], outputs)
    assert "2 items from plane=0, line=[0, 0], point=[0, 0, 0]" in labels


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
