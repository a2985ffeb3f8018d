"""Incremental backfills on real Airflow (dag.test): a cached feature DAG backfilled over 5 dates, its code
changed, backfilled again: only the changed node and its dependents run, proven by counting executions."""

from __future__ import annotations

import collections
import datetime
import importlib
import sys
from pathlib import Path

from hamilflow.compiler import CompileOptions, compile_pipeline

SOURCE = Path(__file__).parents[1] / "resources" / "caching" / "daily.py"
DATES = [datetime.datetime(2024, 3, day, tzinfo=datetime.timezone.utc) for day in range(1, 6)]


def test_a_backfill_after_a_code_change_reruns_only_what_changed(run_dag, tmp_path, monkeypatch) -> None:
    runs, package = tmp_path / "runs.txt", tmp_path / "code"
    package.mkdir()
    monkeypatch.setenv("HAMILFLOW_TEST_RUNS", str(runs))
    monkeypatch.syspath_prepend(str(package))
    store = str(tmp_path / "store")

    def deploy(text: str) -> Path:
        """Write the pipeline, import it afresh (a new deploy) and compile its DAG file again."""
        (package / "daily_features.py").write_text(text)
        sys.modules.pop("daily_features", None)
        importlib.invalidate_caches()
        options = CompileOptions(
            modules=["daily_features"],
            dag_id="daily_features",
            output=str(tmp_path / "dags" / "daily_features.py"),
            store_url=store,
            cache=True,
        )
        return compile_pipeline(options).write()

    def backfill(path: Path, dates: list) -> tuple[collections.Counter, list]:
        runs.unlink(missing_ok=True)
        results = [run_dag(path, logical_date=date) for date in dates]
        counted = collections.Counter(runs.read_text().split()) if runs.exists() else collections.Counter()
        return counted, [r.outputs for r in results]

    source = SOURCE.read_text()
    path = deploy(source)
    first, outputs = backfill(path, DATES)
    assert first["day_of_month"] == 5 and first["feature"] == 5

    path = deploy(source.replace("return daily_total / 10", "return daily_total / 100"))
    changed, new_outputs = backfill(path, DATES)
    assert changed == {"feature": 5}  # only the changed node, once per date
    assert [o["feature"] for o in new_outputs] == [o["feature"] / 10 for o in outputs]

    path = deploy(
        source.replace("return daily_total / 10", "return daily_total / 100").replace("WINDOW = 3", "WINDOW = 4")
    )
    constant, _ = backfill(path, DATES[:2])
    # WINDOW is read by store: it and everything after it run again; day_of_month does not
    assert constant["day_of_month"] == 0 and constant["store"] == 2 and constant["feature"] == 2
    assert constant["store_sales"] == sum(d.day % 4 + 2 for d in DATES[:2])
