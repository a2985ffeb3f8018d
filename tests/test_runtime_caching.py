"""The result cache inside compiled tasks (driven through run_task as the DAG file does): counted, not timed."""

from __future__ import annotations

import collections

from hamilflow.runtime.task import read_outputs
from tests.test_runtime import _compile, _local, _simulate

MODULE = "tests.resources.caching.features"


def test_a_second_run_of_a_cached_dag_runs_no_user_code_and_writes_references(tmp_path, monkeypatch) -> None:
    runs = tmp_path / "runs.txt"
    monkeypatch.setenv("HAMILFLOW_TEST_RUNS", str(runs))
    compiled = _compile(
        tmp_path, [MODULE], "cached", final_vars=["report", "fresh"], cache=True, params={"day": "2024-01-01"}
    )
    assert compiled.spec.cache["default_behavior"] == "default"
    _simulate(compiled, "run-1", {"day": "2024-03-05"})
    first = collections.Counter(runs.read_text().split())
    runs.unlink()
    _simulate(compiled, "run-2", {"day": "2024-03-05"})
    assert collections.Counter(runs.read_text().split()) == {"fresh": 1}  # @cache(behavior="recompute") only
    expected = _local([MODULE], ["report", "fresh"], {"day": "2024-03-05"})
    assert read_outputs(compiled.spec, "run-1") == read_outputs(compiled.spec, "run-2") == expected
    assert first["region_score"] == 2
    runs.unlink()
    _simulate(compiled, "run-3", {"day": "2024-03-06"})  # another date: what reads it runs again
    assert collections.Counter(runs.read_text().split())["raw"] == 1


def test_the_cache_is_shared_by_the_driver_and_the_compiled_dag(tmp_path, monkeypatch) -> None:
    import importlib

    from hamilflow import driver

    runs = tmp_path / "runs.txt"
    monkeypatch.setenv("HAMILFLOW_TEST_RUNS", str(runs))
    compiled = _compile(tmp_path, [MODULE], "shared", final_vars=["report"], cache=True, params={"day": "2024-01-01"})
    module = importlib.import_module(MODULE)
    local = driver.Builder().with_modules(module).with_cache(str(tmp_path / "store")).build()
    assert local.execute(["report"], inputs={"day": "2024-03-07"})["report"]
    runs.unlink()
    _simulate(compiled, "run-1", {"day": "2024-03-07"})
    assert not runs.exists()  # every node was read from what the Driver cached
    assert (
        read_outputs(compiled.spec, "run-1")["report"]
        == local.execute(["report"], inputs={"day": "2024-03-07"})["report"]
    )
