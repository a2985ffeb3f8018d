"""``hamilflow gc`` asks the Airflow metadata database which runs are still running, on a real Airflow 3.

Two runs of a compiled DAG write their artifacts through the runtime (``dag.test()``); one of them is
then marked running in the metadata DB, as the scheduler marks a run whose tasks are not done. gc,
with every file older than its limit, keeps that run and collects the other; once the run is
finished, it goes too.
"""

from __future__ import annotations

import datetime
import json

import pytest

pytestmark = pytest.mark.airflow


def _set_state(dag_id: str, run_id: str, state: str) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        changed = (
            session.query(DagRun)
            .filter(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
            .update({DagRun.state: state}, synchronize_session=False)
        )
    assert changed == 1


def test_gc_keeps_the_runs_airflow_lists_as_running(compile_dag, run_dag, capsys) -> None:
    from hamilflow.cli import main
    from hamilflow.runtime.store import store_from_env

    path = compile_dag("examples.word_count.pipeline", "gc_word_count", final_vars=["total_words"])
    days = [datetime.datetime(2024, 3, day, tzinfo=datetime.timezone.utc) for day in (1, 2)]
    running, finished = (run_dag(path, logical_date=day) for day in days)
    store = store_from_env()
    assert store.list_run("gc_word_count", running.run_id) and store.list_run("gc_word_count", finished.run_id)
    _set_state("gc_word_count", running.run_id, "running")
    try:
        # AIRFLOW_HOME is set (as on an Airflow machine): gc asks Airflow without being told to
        assert main(["gc", "--older-than", "0s", "--dag", "gc_word_count", "--yes", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
    finally:
        _set_state("gc_word_count", running.run_id, "success")
    assert report["airflow_checked"] is True
    assert [(r["run_id"], r["decision"]) for r in report["kept"]] == [(running.run_id, "running")]
    assert [r["run_id"] for r in report["collected"]] == [finished.run_id]
    assert store.list_run("gc_word_count", finished.run_id) == []
    assert store.list_run("gc_word_count", running.run_id)  # every artifact of the running run is still there

    assert main(["gc", "--older-than", "0s", "--dag", "gc_word_count", "--yes", "--json", "--airflow"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in report["collected"]] == [running.run_id] and report["kept"] == []
    assert store.list_run("gc_word_count", running.run_id) == []
