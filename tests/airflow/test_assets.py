"""Outputs as Airflow Assets: the producing task declares outlets and Airflow records an asset event on success;
a DAG compiled with a schedule of asset URIs is scheduled on them."""

from __future__ import annotations

import pytest

from hamilflow.compiler import CompileError, CompileOptions, compile_pipeline
from hamilflow.embedded_airflow import load_dag

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
            session.query(AssetModel.uri, AssetEvent.source_task_id, AssetEvent.source_run_id)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .filter(AssetEvent.source_dag_id == "orders_producer")
            .all()
        )
    assert [tuple(row) for row in recorded] == [(ASSET, "published", result.run_id)]


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
