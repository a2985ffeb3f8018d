"""Incremental backfills on real Airflow (dag.test): a cached feature DAG backfilled over 5 dates, its code
changed, backfilled again: only the changed node and its dependents run, proven by counting executions, and
every output equals a from-scratch backfill's (a fresh store, no cache)."""

from __future__ import annotations

import collections
import datetime
import importlib
import sys
from pathlib import Path

from hamilflow.compiler import CompileOptions, compile_pipeline

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
