"""The result cache, proven by counting executions: unchanged nodes are read, changed ones and their
dependents run, on the Driver and on every local executor, with the same outputs as a run without cache."""

from __future__ import annotations

import collections
import importlib
import importlib.util
import sys
from pathlib import Path

import cloudpickle
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


def _module_file(folder: Path, name: str, source: str):
    """``source`` as a module in a file, as a user writes one (Hamilton versions a function by its source file), whose
    code workers receive by value (a worker forked from an earlier fork server has neither our path nor our env)."""
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(source)
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    cloudpickle.register_pickle_by_value(module)
    return module


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


def test_recompute_and_disable_lists_rerun_the_node_and_what_reads_it(tmp_path, runs) -> None:
    module = importlib.import_module(MODULE)
    _driver(module, tmp_path / "cache").execute(OUTPUTS, inputs={"day": "2024-03-05"})
    _count(runs)
    _driver(module, tmp_path / "cache", recompute=["raw"]).execute(OUTPUTS, inputs={"day": "2024-03-05"})
    # raw runs again, and so does all that reads it: keys follow provenance, so a reader cannot know raw's value is
    # the same (Hamilton hashes it and would serve its readers; see the test below for why they must not be stale)
    assert _count(runs) == {"raw": 1, "scaled": 1, "region": 1, "region_score": 2, "total": 1, "report": 1, "fresh": 1}
    _driver(module, tmp_path / "cache").execute(OUTPUTS, inputs={"day": "2024-03-05"})
    assert _count(runs) == {"fresh": 1}  # without the list, everything but @cache(behavior="recompute") is read again
    _driver(module, tmp_path / "cache", disable=True).execute(OUTPUTS, inputs={"day": "2024-03-05"})
    assert _count(runs)["region_score"] == 2


def test_unsupported_cache_options_are_refused_by_name() -> None:
    with pytest.raises(SettingError, match=r"with_cache\(metadata_store=\.\.\.\): not supported"):
        driver.Builder().with_cache(metadata_store=object())
    with pytest.raises(SettingError, match="default_behavior='sometimes'"):
        driver.Builder().with_cache(default_behavior="sometimes")


# A pipeline that caches nothing but what opts in: `expensive` with Hamilton's @cache, `tagged` with the tag @cache
# writes. They read only external values (which hamilflow always versions; Hamilton versions them when they are
# opted in too, hence `default=["day", "factor"]`), so both caches can serve them.
OPT_IN = """
import os

from hamilton.function_modifiers import cache, tag


def _ran(name: str) -> None:
    with open(os.environ["HAMILFLOW_TEST_RUNS"], "a") as out:
        out.write(name + "\\n")


def raw(day: str) -> list:
    _ran("raw")
    return [len(day), int(day[-2:])]


@cache(behavior="default")
def expensive(day: str, factor: int) -> int:
    _ran("expensive")
    return len(day) * factor


@tag(**{"cache.behavior": "default"})
def tagged(day: str) -> int:
    _ran("tagged")
    return int(day[-2:]) * 3


def summary(expensive: int, tagged: int, raw: list) -> str:
    _ran("summary")
    return f"{raw}: {expensive} {tagged}"
"""
OPT_IN_CACHE = {"default_behavior": "disable", "default": ["day", "factor"]}


def _hamilton_counts(module, cache: Path, runs: Path, times: int, config: dict, **options) -> list:
    """What Apache Hamilton's own cache runs, run after run: the reference for the counts."""
    from hamilton import driver as hamilton_driver

    counts = []
    for _ in range(times):
        dr = hamilton_driver.Builder().with_modules(module).with_config(config).with_cache(str(cache), **options)
        dr.build().execute(["summary"], inputs={"day": "2024-03-05"})
        counts.append(_count(runs))
    return counts


@pytest.mark.parametrize("executor", ["sync", "threads", "processes"])
def test_a_pipeline_that_caches_nothing_reads_only_the_nodes_that_opt_in(tmp_path, runs, executor) -> None:
    source = OPT_IN.replace('os.environ["HAMILFLOW_TEST_RUNS"]', repr(str(runs)))
    module = _module_file(tmp_path / "code", f"opt_in_{executor}", source)
    config = {"factor": 3}
    expected = (
        driver.Builder().with_modules(module).with_config(config).build().execute(["summary"], {"day": "2024-03-05"})
    )
    _count(runs)
    counts = []
    for _ in range(2):
        dr = (
            driver.Builder()
            .with_modules(module)
            .with_config(config)
            .with_cache(str(tmp_path / "cache"), **OPT_IN_CACHE)
        )
        if executor != "sync":
            remote = (
                executors.MultiProcessingExecutor(2) if executor == "processes" else executors.MultiThreadingExecutor(2)
            )
            dr = dr.enable_dynamic_execution(allow_experimental_mode=True).with_remote_executor(remote)
        assert dr.build().execute(["summary"], inputs={"day": "2024-03-05"}) == expected
        counts.append(_count(runs))
    assert counts == [{"raw": 1, "expensive": 1, "tagged": 1, "summary": 1}, {"raw": 1, "summary": 1}]
    # Apache Hamilton's cache, asked the same, runs the same nodes
    assert counts == _hamilton_counts(module, tmp_path / "hamilton", runs, 2, config, **OPT_IN_CACHE)


# A pipeline reading a config value (`factor`) as a parameter and through @config.when (`mode`).
CONFIGURED = """
import os

from hamilton.function_modifiers import config


def _ran(name: str) -> None:
    with open(os.environ["HAMILFLOW_TEST_RUNS"], "a") as out:
        out.write(name + "\\n")


def raw(day: str) -> list:
    _ran("raw")
    return [len(day), int(day[-2:])]


def scaled(raw: list, factor: int) -> list:
    _ran("scaled")
    return [v * factor for v in raw]


def total(scaled: list) -> int:
    _ran("total")
    return sum(scaled)


@config.when(mode="sum")
def weight__sum(raw: list) -> int:
    _ran("weight")
    return sum(raw)


@config.when(mode="max")
def weight__max(raw: list) -> int:
    _ran("weight")
    return max(raw)


def label(day: str) -> str:
    _ran("label")
    return day.upper()


def summary(total: int, weight: int, label: str) -> str:
    _ran("summary")
    return f"{label}: {total} {weight}"
"""


def test_a_changed_config_value_reruns_the_nodes_that_read_it_and_their_dependents(tmp_path, runs) -> None:
    module = _module_file(tmp_path / "code", "configured", CONFIGURED)
    configs = [
        {"factor": 10, "mode": "sum"},
        {"factor": 10, "mode": "sum"},  # the same again: nothing runs
        {"factor": 11, "mode": "sum"},  # a value read as a parameter
        {"factor": 11, "mode": "max"},  # a value that chooses the function (@config.when)
        {"factor": 10, "mode": "sum"},  # back to the first: every result is still in the cache
    ]
    counts = []
    for config in configs:
        dr = driver.Builder().with_modules(module).with_config(config).with_cache(str(tmp_path / "cache")).build()
        result = dr.execute(["summary"], inputs={"day": "2024-03-05"})
        counts.append(_count(runs))
        assert result == driver.Builder().with_modules(module).with_config(config).build().execute(
            ["summary"], inputs={"day": "2024-03-05"}
        )
        _count(runs)
    assert counts == [
        {"raw": 1, "scaled": 1, "total": 1, "weight": 1, "label": 1, "summary": 1},
        {},
        {"scaled": 1, "total": 1, "summary": 1},
        {"weight": 1, "summary": 1},
        {},
    ]
    # Apache Hamilton's cache, given the same configs in turn, runs the same nodes
    from hamilton import driver as hamilton_driver

    reference = []
    for config in configs:
        dr = hamilton_driver.Builder().with_modules(module).with_config(config).with_cache(str(tmp_path / "hamilton"))
        dr.build().execute(["summary"], inputs={"day": "2024-03-05"})
        reference.append(_count(runs))
    assert counts == reference


# A node that reads the world (a file) and always runs, and a cached node reading it: the reader is marked to
# recompute, or the pipeline caches nothing but the reader.
READS_A_FILE = """
from hamilton.function_modifiers import cache


@cache(behavior="{reading}")
def reading(path: str) -> str:
    with open(path) as source:
        return source.read()


@cache(behavior="default")
def parsed(reading: str) -> int:
    return len(reading)
"""


@pytest.mark.parametrize(
    ("reading", "options"),
    [("recompute", {}), ("disable", {}), ("default", {"default_behavior": "disable", "default": ["path", "parsed"]})],
)
def test_a_node_that_always_runs_and_returns_a_new_value_reruns_its_readers_as_in_hamilton(
    tmp_path, reading, options
) -> None:
    from hamilton import driver as hamilton_driver

    source = (
        READS_A_FILE.format(reading=reading)
        if not options
        else READS_A_FILE.replace('@cache(behavior="{reading}")\n', "")
    )
    module = _module_file(tmp_path / "code", f"reads_a_file_{reading}", source)
    path = tmp_path / "world.txt"
    for backend, cache in ((hamilton_driver, tmp_path / "hamilton"), (driver, tmp_path / "cache")):
        for text in ("abc", "abcdef"):
            path.write_text(text)
            dr = backend.Builder().with_modules(module).with_cache(str(cache), **options).build()
            assert dr.execute(["parsed"], inputs={"path": str(path)}) == {"parsed": len(text)}, backend.__name__
