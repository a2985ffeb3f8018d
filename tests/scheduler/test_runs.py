"""word_count on a real scheduler: trigger with params, read the DAG's tasks, clear and rerun, two runs at once."""

from __future__ import annotations

import uuid

import pytest

from hamilflow.runtime.task import LoadedPipeline
from tests.scheduler.pipelines import dag_spec, local_outputs, parse_time, run_files, store_outputs, temp_files

pytestmark = [pytest.mark.scheduler, pytest.mark.slow]


def test_triggered_run_matches_the_local_driver(airflow_server, word_count_run):
    run = airflow_server.run("word_count", word_count_run)
    assert run["conf"] == {"corpus": "classics"}
    assert store_outputs(airflow_server.store, "word_count", word_count_run) == local_outputs(
        "word_count", {"corpus": "classics"}
    )
    tis = airflow_server.task_instances("word_count", word_count_run)
    assert all(t["state"] == "success" for t in tis), airflow_server.describe("word_count", word_count_run)
    assert not temp_files(airflow_server.store)


def test_tasks_are_named_after_nodes_mapped_by_item_and_documented(airflow_server, word_count_run):
    pipeline = LoadedPipeline(dag_spec("word_count"))
    tasks = {t["task_id"]: t for t in airflow_server.api("GET", "/dags/word_count/tasks")["tasks"]}
    assert set(tasks) == {t.name for t in pipeline.plan.tasks}
    for spec in pipeline.plan.tasks:
        assert tasks[spec.name]["is_mapped"] == bool(spec.path), spec.name
        for node in spec.nodes:
            assert pipeline.graph.nodes[node].documentation in tasks[spec.name]["doc_md"], node
    mapped = [
        t for t in airflow_server.task_instances("word_count", word_count_run) if t["task_id"] == "url_loaded__counts"
    ]
    labels = [t["rendered_map_index"] for t in sorted(mapped, key=lambda t: t["map_index"])]
    assert len(labels) == 3
    for label, name in zip(labels, ("alice.txt", "moby.txt", "pride.txt")):
        assert label.startswith("url='file://") and label.endswith(f"{name}'"), labels


def test_clearing_one_task_reruns_it_and_leaves_results_unchanged(airflow_server):
    airflow_server.unpause("word_count")
    run_id = airflow_server.trigger("word_count", conf={"corpus": "classics"}, run_id=f"clear_{uuid.uuid4().hex[:8]}")
    assert airflow_server.wait_for_run("word_count", run_id)["state"] == "success"
    before = store_outputs(airflow_server.store, "word_count", run_id)
    files_before = run_files(airflow_server.store, "word_count", run_id)

    cleared = airflow_server.api(
        "POST",
        "/dags/word_count/clearTaskInstances",
        json={"dag_run_id": run_id, "task_ids": ["url_loaded__counts"], "only_failed": False, "dry_run": False},
    )
    assert {t["task_id"] for t in cleared["task_instances"]} == {"url_loaded__counts"}

    def rerun_done() -> bool:
        tis = [t for t in airflow_server.task_instances("word_count", run_id) if t["task_id"] == "url_loaded__counts"]
        return len(tis) == 3 and all(t["state"] == "success" and t["try_number"] == 2 for t in tis)

    airflow_server.wait_until(rerun_done, f"cleared url_loaded__counts of {run_id} to rerun")
    assert airflow_server.wait_for_run("word_count", run_id)["state"] == "success"
    tis = {t["task_id"]: t for t in airflow_server.task_instances("word_count", run_id)}
    assert tis["total_words"]["try_number"] == 1  # downstream was not cleared, and its result still holds
    assert store_outputs(airflow_server.store, "word_count", run_id) == before
    assert run_files(airflow_server.store, "word_count", run_id) == files_before
    assert not temp_files(airflow_server.store)


def test_two_runs_at_once_do_not_collide(airflow_server):
    airflow_server.unpause("word_count")
    tag = uuid.uuid4().hex[:8]
    corpora = {f"both_classics_{tag}": "classics", f"both_empty_{tag}": "empty"}
    for run_id, corpus in corpora.items():
        airflow_server.trigger("word_count", conf={"corpus": corpus}, run_id=run_id)
    runs = {run_id: airflow_server.wait_for_run("word_count", run_id) for run_id in corpora}
    for run_id, corpus in corpora.items():
        assert runs[run_id]["state"] == "success", airflow_server.describe("word_count", run_id)
        assert store_outputs(airflow_server.store, "word_count", run_id) == local_outputs(
            "word_count", {"corpus": corpus}
        )
    classics, empty = (run_files(airflow_server.store, "word_count", r) for r in corpora)
    assert "counts/0.pkl" in classics and not any(f.startswith("counts/") for f in empty)
    assert "total_words/_.pkl" in classics and "total_words/_.pkl" in empty
    starts = [parse_time(r["start_date"]) for r in runs.values()]
    ends = [parse_time(r["end_date"]) for r in runs.values()]
    assert max(starts) < min(ends), f"the two runs did not overlap: {starts} {ends}"
