"""Outputs as Airflow Assets: the producing task declares outlets and Airflow records an asset event on success;
a DAG compiled with a schedule of asset URIs is scheduled on them."""

from __future__ import annotations

import pytest

from hamilflow.compiler import CompileError, CompileOptions, compile_pipeline
from hamilflow.embedded_airflow import load_dag
from hamilflow.runtime.store import ArtifactStore

pytestmark = pytest.mark.airflow

PRODUCER = "examples.daily_orders.pipeline"
ASSET = "file:///tmp/hamilflow-warehouse/daily_orders"


def test_the_producing_task_declares_its_asset_and_a_run_records_an_event(compile_dag, run_dag, tmp_path) -> None:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.sdk import Asset
    from airflow.utils.session import create_session

    path = compile_dag(PRODUCER, "orders_producer", final_vars=["published"], params={"warehouse": str(tmp_path)})
    _, dag = load_dag(path)
    assert dag.get_task("published").outlets == [Asset(ASSET)]
    assert dag.get_task("orders").outlets == []  # only the task of the tagged node

    result = run_dag(path)
    assert result.outputs["published"].startswith(str(tmp_path / "daily_orders"))
    with create_session() as session:
        recorded = (
            session.query(AssetModel.uri, AssetEvent.source_task_id, AssetEvent.source_run_id, AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .filter(AssetEvent.source_dag_id == "orders_producer")
            .all()
        )
    ref = ArtifactStore.ref("orders_producer", result.run_id, "published")  # where the run's value is
    assert [tuple(row) for row in recorded] == [
        (ASSET, "published", result.run_id, {"hamilflow_refs": {"published": ref}})
    ]


def test_a_dag_scheduled_on_asset_uris_waits_for_them(compile_dag) -> None:
    from airflow.sdk import Asset

    path = compile_dag("examples.orders_report.pipeline", "orders_consumer", schedule=[ASSET, "s3://lake/other"])
    _, dag = load_dag(path)
    condition = dag.timetable.asset_condition  # all of them, as Airflow reads a list
    assert type(condition).__name__ == "AssetAll"
    assert list(condition.objects) == [Asset(ASSET), Asset("s3://lake/other")]
    assert type(dag.timetable).__name__ == "AssetTriggeredTimetable"


def test_a_bad_asset_uri_is_refused_at_compile_time(tmp_path) -> None:
    with pytest.raises(CompileError, match=r"schedule: 'warehouse' is not an asset URI: write it as scheme://"):
        compile_pipeline(
            CompileOptions(
                modules=["examples.orders_report.pipeline"],
                dag_id="bad",
                schedule=["warehouse"],
                output=str(tmp_path / "bad.py"),
            )
        )


SAVING = """\
from hamilton.function_modifiers import save_to, value
from hamilton.io.materialization import to


@save_to.json(path=value("{folder}/totals.json"), output_name_="totals_saved")
def totals() -> dict:
    return {{"tea": 3.5}}


def doubled(totals: dict) -> dict:
    return {{k: 2 * v for k, v in totals.items()}}


def savers() -> list:
    return [to.json(id="doubled_saved", dependencies=["doubled"], path="s3://lake/doubled.json")]
"""


def test_a_savers_target_is_its_tasks_asset(compile_dag, run_dag, tmp_path, monkeypatch) -> None:
    import sys
    import uuid

    from airflow.sdk import Asset

    name = f"saving_{uuid.uuid4().hex[:8]}"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / f"{name}.py").write_text(SAVING.format(folder=tmp_path))
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    try:
        path = compile_dag(name, "saving", final_vars=["totals_saved"], materializers=[f"{name}:savers"])
        _, dag = load_dag(path)
        outlets = {t.task_id: t.outlets for t in dag.tasks if t.outlets}
        assert outlets == {
            "totals_saved": [Asset(f"file://{tmp_path}/totals.json")],  # @save_to, an absolute path
            "doubled_saved": [Asset("s3://lake/doubled.json")],  # a to.* materializer, a URL
        }
    finally:
        sys.modules.pop(name, None)
