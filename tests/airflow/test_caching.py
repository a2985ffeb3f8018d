"""Incremental backfills on real Airflow (dag.test): a cached feature DAG backfilled over 5 dates, its code
changed, backfilled again: only the changed node and its dependents run, proven by counting executions, and
every output equals a from-scratch backfill's (a fresh store, no cache). A DAG whose cache is off by default reads
only the nodes that opt in (@cache, or its tag); a changed config value reruns what reads it."""

from __future__ import annotations

import collections
import datetime
import importlib
import sys
from pathlib import Path

import pytest

from hamilflow.compiler import CompileOptions, compile_pipeline

pytestmark = pytest.mark.airflow

SOURCE = Path(__file__).parents[1] / "resources" / "caching" / "daily.py"
DATES = [datetime.datetime(2024, 3, day, tzinfo=datetime.timezone.utc) for day in range(1, 6)]
# every value the pipeline makes outside its block: the day, the block's items, what it collects, the feature
OUTPUTS = ["day_of_month", "store", "daily_total", "feature"]
EVERY_NODE = {"day_of_month", "store", "store_sales", "daily_total", "feature"}


def test_a_backfill_after_a_code_change_reruns_only_what_changed(run_dag, tmp_path, monkeypatch) -> None:
    runs, package = tmp_path / "runs.txt", tmp_path / "code"
    package.mkdir()
    monkeypatch.setenv("HAMILFLOW_TEST_RUNS", str(runs))
    monkeypatch.syspath_prepend(str(package))
    stores = iter(range(100))

    def deploy(text: str, cache: bool = True) -> Path:
        """Write the pipeline, import it afresh (a new deploy) and compile its DAG file again; without the cache, a
        DAG of its own on a fresh store: a from-scratch run."""
        (package / "daily_features.py").write_text(text)
        sys.modules.pop("daily_features", None)
        importlib.invalidate_caches()
        dag_id = "daily_features" if cache else f"daily_features_scratch_{next(stores)}"
        options = CompileOptions(
            modules=["daily_features"],
            dag_id=dag_id,
            final_vars=OUTPUTS,
            output=str(tmp_path / "dags" / f"{dag_id}.py"),
            store_url=str(tmp_path / ("store" if cache else dag_id)),
            cache=True if cache else None,
        )
        return compile_pipeline(options).write()

    def backfill(path: Path, dates: list) -> tuple[collections.Counter, list]:
        runs.unlink(missing_ok=True)
        results = [run_dag(path, logical_date=date) for date in dates]
        counted = collections.Counter(runs.read_text().split()) if runs.exists() else collections.Counter()
        return counted, [r.outputs for r in results]

    def from_scratch(text: str, dates: list) -> list:
        counted, outputs = backfill(deploy(text, cache=False), dates)
        assert set(counted) == EVERY_NODE and counted["feature"] == len(dates)  # no cache: everything ran
        return outputs

    source = SOURCE.read_text()
    first, outputs = backfill(deploy(source), DATES)
    assert first["day_of_month"] == 5 and first["feature"] == 5
    assert outputs == from_scratch(source, DATES)

    changed_source = source.replace("return daily_total / 10", "return daily_total / 100")
    changed, new_outputs = backfill(deploy(changed_source), DATES)
    assert changed == {"feature": 5}  # only the changed node, once per date
    assert [o["feature"] for o in new_outputs] == [o["feature"] / 10 for o in outputs]
    # every output of the incremental backfill, read from the cache or not, is what a from-scratch backfill makes
    assert [sorted(o) for o in new_outputs] == [sorted(OUTPUTS)] * 5
    assert new_outputs == from_scratch(changed_source, DATES)

    constant_source = changed_source.replace("WINDOW = 3", "WINDOW = 4")
    constant, constant_outputs = backfill(deploy(constant_source), DATES[:2])
    # WINDOW is read by store: it and everything after it run again; day_of_month does not
    assert constant["day_of_month"] == 0 and constant["store"] == 2 and constant["feature"] == 2
    assert constant["store_sales"] == sum(d.day % 4 + 2 for d in DATES[:2])
    assert constant_outputs == from_scratch(constant_source, DATES[:2])


# A pipeline for the per-node and config tests: `scaled` reads a config value; `scaled` (@cache) and `label` (the tag
# @cache writes) opt in to a cache that is off by default. What they read is external (the run's `ds`, the config).
OPT_IN = """
import os

from hamilton.function_modifiers import cache, tag


def _ran(name: str) -> None:
    with open(os.environ["HAMILFLOW_TEST_RUNS"], "a") as out:
        out.write(name + "\\n")


def day_of_month(ds: str) -> int:
    _ran("day_of_month")
    return int(ds[-2:])


@cache(behavior="default")
def scaled(ds: str, factor: int) -> int:
    _ran("scaled")
    return int(ds[-2:]) * factor


@tag(**{"cache.behavior": "default"})
def label(ds: str) -> str:
    _ran("label")
    return ds.replace("-", "/")


def report(day_of_month: int, scaled: int, label: str) -> str:
    _ran("report")
    return f"{label}: {day_of_month} {scaled}"
"""


def _deployer(tmp_path: Path, monkeypatch):
    """Deploys OPT_IN as module ``opt_in_daily`` and compiles it with the options given; runs a DAG file and counts
    the nodes that ran."""
    runs, package = tmp_path / "runs.txt", tmp_path / "code"
    package.mkdir()
    (package / "opt_in_daily.py").write_text(OPT_IN)
    monkeypatch.setenv("HAMILFLOW_TEST_RUNS", str(runs))
    monkeypatch.syspath_prepend(str(package))
    sys.modules.pop("opt_in_daily", None)
    importlib.invalidate_caches()

    def deploy(dag_id: str, **options) -> Path:
        output = str(tmp_path / "dags" / f"{dag_id}.py")
        return compile_pipeline(
            CompileOptions(modules=["opt_in_daily"], dag_id=dag_id, output=output, **options)
        ).write()

    def counted() -> collections.Counter:
        found = collections.Counter(runs.read_text().split()) if runs.exists() else collections.Counter()
        runs.unlink(missing_ok=True)
        return found

    return deploy, counted


def test_a_dag_that_caches_nothing_reads_only_the_nodes_that_opt_in(run_dag, local, tmp_path, monkeypatch) -> None:
    deploy, counted = _deployer(tmp_path, monkeypatch)
    path = deploy(
        "opt_in_daily",
        final_vars=["report"],
        config={"factor": 3},
        store_url=str(tmp_path / "store"),
        cache={"default_behavior": "disable"},
    )
    first = run_dag(path, logical_date=DATES[4])
    assert counted() == {"day_of_month": 1, "scaled": 1, "label": 1, "report": 1}
    second = run_dag(path, logical_date=DATES[4])
    assert counted() == {"day_of_month": 1, "report": 1}  # the two opted-in nodes were read, the rest ran
    assert second.outputs == first.outputs == local("opt_in_daily", ["report"], {"ds": "2024-03-05"}, {"factor": 3})


def test_a_changed_config_value_reruns_what_reads_it_on_airflow(run_dag, local, tmp_path, monkeypatch) -> None:
    deploy, counted = _deployer(tmp_path, monkeypatch)

    def backfill(config: dict, cache: bool = True) -> list:
        dag_id = "configured_daily" if cache else f"configured_daily_scratch_{config['factor']}"
        store = tmp_path / ("store" if cache else dag_id)
        path = deploy(dag_id, final_vars=["report"], config=config, store_url=str(store), cache=cache or None)
        return [run_dag(path, logical_date=date).outputs for date in DATES[:2]]

    first = backfill({"factor": 10})
    assert counted() == {"day_of_month": 2, "scaled": 2, "label": 2, "report": 2}
    changed = backfill({"factor": 11})
    # the nodes that read the config value (scaled) and what reads them (report) ran, once per date
    assert counted() == {"scaled": 2, "report": 2}
    assert changed == backfill({"factor": 11}, cache=False) != first  # what a from-scratch backfill makes
    assert changed[1] == local("opt_in_daily", ["report"], {"ds": "2024-03-02"}, {"factor": 11})
    counted()  # forget what the from-scratch backfill and the Driver ran
    assert backfill({"factor": 10}) == first and counted() == {}  # back to the first value: all read from the cache
