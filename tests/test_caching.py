"""The result cache, proven by counting executions: unchanged nodes are read, changed ones and their
dependents run, on the Driver and on every local executor, with the same outputs as a run without cache."""

from __future__ import annotations

import collections
import importlib
import sys
from pathlib import Path

import pytest

from hamilflow import driver
from hamilflow.errors import SettingError
from hamilflow.execution import executors

MODULE = "tests.resources.caching.features"
OUTPUTS = ["report", "fresh"]


@pytest.fixture
def runs(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "runs.txt"
    monkeypatch.setenv("HAMILFLOW_TEST_RUNS", str(path))
    return path


def _count(runs: Path) -> collections.Counter:
    counted = collections.Counter(runs.read_text().split()) if runs.exists() else collections.Counter()
    runs.unlink(missing_ok=True)
    return counted


def _driver(module, cache: Path | None, executor: str = "sync", **options):
    builder = driver.Builder().with_modules(module)
    if executor != "sync":
        remote = (
            executors.MultiProcessingExecutor(2) if executor == "processes" else executors.MultiThreadingExecutor(2)
        )
        builder = builder.enable_dynamic_execution(allow_experimental_mode=True).with_remote_executor(remote)
    if cache is not None:
        builder = builder.with_cache(str(cache), **options)
    return builder.build()


@pytest.mark.parametrize("executor", ["sync", "threads", "processes"])
def test_a_second_run_reads_everything_but_what_must_recompute(tmp_path, runs, executor, module_from_source) -> None:
    # the record's path written into the code: a worker forked from a fork server started earlier in the session
    # has that server's environment, not this test's
    source = Path(importlib.import_module(MODULE).__file__).read_text()
    module = module_from_source(source.replace('os.environ["HAMILFLOW_TEST_RUNS"]', repr(str(runs))))
    expected = _driver(module, None).execute(OUTPUTS, inputs={"day": "2024-03-05"})
    _count(runs)
    first = _driver(module, tmp_path / "cache", executor).execute(OUTPUTS, inputs={"day": "2024-03-05"})
    assert first == expected
    assert _count(runs) == {"raw": 1, "scaled": 1, "region": 1, "region_score": 2, "total": 1, "report": 1, "fresh": 1}
    second = _driver(module, tmp_path / "cache", executor).execute(OUTPUTS, inputs={"day": "2024-03-05"})
    assert second == expected
    assert _count(runs) == {"fresh": 1}  # @cache(behavior="recompute") runs every time; the rest is read


def test_a_new_input_runs_only_what_reads_it_and_a_backfill_reuses_each_date(tmp_path, runs) -> None:
    module = importlib.import_module(MODULE)
    days = [f"2024-03-0{d}" for d in range(1, 6)]
    for day in days:
        _driver(module, tmp_path / "cache").execute(OUTPUTS, inputs={"day": day})
    assert _count(runs)["raw"] == 5
    for day in days:  # the same backfill again: nothing but the recompute node runs
        _driver(module, tmp_path / "cache").execute(OUTPUTS, inputs={"day": day})
    assert _count(runs) == {"fresh": 5}


def test_changed_code_reruns_that_node_and_its_dependents_only(tmp_path, runs, monkeypatch) -> None:
    source = Path(importlib.import_module(MODULE).__file__).read_text()
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "copy_of_features.py").write_text(source)
    monkeypatch.syspath_prepend(str(package))

    def load(text: str):
        (package / "copy_of_features.py").write_text(text)
        sys.modules.pop("copy_of_features", None)
        importlib.invalidate_caches()
        return importlib.import_module("copy_of_features")

    module = load(source)
    baseline = _driver(module, tmp_path / "cache").execute(OUTPUTS, inputs={"day": "2024-03-05"})
    _count(runs)
    changed = load(source.replace("return region + 1", "return region + 2"))
    result = _driver(module := changed, tmp_path / "cache").execute(OUTPUTS, inputs={"day": "2024-03-05"})
    assert _count(runs) == {"region_score": 2, "total": 1, "report": 1, "fresh": 1}
    assert result == _driver(module, None).execute(OUTPUTS, inputs={"day": "2024-03-05"}) != baseline
    _count(runs)
    comment_only = load(source.replace("return region + 1", "return region + 2  # two now"))
    _driver(comment_only, tmp_path / "cache").execute(OUTPUTS, inputs={"day": "2024-03-05"})
    assert _count(runs) == {"fresh": 1}  # a comment is not code
    constant = load(source.replace("return region + 1", "return region + 2").replace("SCALE = 10", "SCALE = 11"))
    _driver(constant, tmp_path / "cache").execute(OUTPUTS, inputs={"day": "2024-03-05"})
    # the constant SCALE is read by scaled: it and what depends on it run again, raw does not
    assert _count(runs) == {"scaled": 1, "region": 1, "region_score": 2, "total": 1, "report": 1, "fresh": 1}


def test_recompute_and_disable_lists_as_in_hamilton(tmp_path, runs) -> None:
    module = importlib.import_module(MODULE)
    _driver(module, tmp_path / "cache").execute(OUTPUTS, inputs={"day": "2024-03-05"})
    _count(runs)
    _driver(module, tmp_path / "cache", recompute=["raw"]).execute(OUTPUTS, inputs={"day": "2024-03-05"})
    assert _count(runs) == {"raw": 1, "fresh": 1}  # raw runs again; its value is unchanged: its key is its inputs'
    _driver(module, tmp_path / "cache", disable=True).execute(OUTPUTS, inputs={"day": "2024-03-05"})
    assert _count(runs)["region_score"] == 2


def test_unsupported_cache_options_are_refused_by_name() -> None:
    with pytest.raises(SettingError, match=r"with_cache\(metadata_store=\.\.\.\): not supported"):
        driver.Builder().with_cache(metadata_store=object())
    with pytest.raises(SettingError, match="default_behavior='sometimes'"):
        driver.Builder().with_cache(default_behavior="sometimes")
