"""The compiled example DAGs in airflow_dags/: they parse, they run on Airflow 3, and they agree with the Driver."""

from __future__ import annotations

import datetime
import json
from urllib.parse import quote

import pytest

from examples.nested.pipeline import STORES
from tests.airflow.conftest import REPO

pytestmark = pytest.mark.airflow

EXAMPLES = ("word_count", "features", "nested", "data_quality", "sales_by_region", "regional_models")


def _xcoms(dag_id: str, run_id: str) -> dict[tuple[str, int], object]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key == "return_value"
            )
        ).all()
        return {(x.task_id, x.map_index): XComModel.deserialize_value(x) for x in rows}


def test_every_compiled_dag_file_imports_without_errors() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "airflow_dags"))
    assert bag.import_errors == {}
    assert set(EXAMPLES) <= set(bag.dags)
    assert {t.task_id for t in bag.dags["word_count"].tasks} == {"url", "url_loaded__counts", "total_words"}


def test_word_count_equals_the_local_driver_with_one_instance_per_document(run_dag, local) -> None:
    result = run_dag(REPO / "airflow_dags/word_count.py")

    assert result.outputs == local("examples.word_count.pipeline", ["total_words"]) == {"total_words": 109}
    instances = result.instances("url_loaded__counts")
    documents = sorted((REPO / "examples/word_count/corpus/classics").glob("*.txt"))
    assert len(instances) == len(documents) == 3
    assert all(t.state == "success" for t in result.tasks)
    for instance, document in zip(instances, documents):
        assert instance.label.startswith("url='file:") and instance.label.endswith(f"{document.name}'")
    # XCom carries only what the file returns: the chunks `url` lists for the mapped task (item positions)
    xcoms = _xcoms(result.dag_id, result.run_id)
    assert {task_id for (task_id, _), value in xcoms.items() if value is not None} == {"url"}
    text = json.dumps(xcoms[("url", -1)]) + json.dumps([v for k, v in xcoms.items() if k[0] != "url"])
    without_refs = text.replace(result.run_id, "").replace(quote(result.run_id, safe=""), "")  # a run id can hold "109"
    assert "alice" not in text and "file:" not in text and "109" not in without_refs
    assert len(text) < 2000


def test_word_count_of_an_empty_corpus_runs_the_collector_on_zero_items(run_dag, local) -> None:
    result = run_dag(REPO / "airflow_dags/word_count.py", run_conf={"corpus": "empty"})

    expected = local("examples.word_count.pipeline", ["total_words"], {"corpus": "empty"})
    assert result.outputs == expected == {"total_words": 0}
    assert [t.state for t in result.instances("total_words")] == ["success"]
    assert [(t.map_index, t.state) for t in result.instances("url_loaded__counts")] == [(-1, "skipped")]


def test_features_for_a_fixed_logical_date_equals_the_driver_for_that_day(run_dag, local) -> None:
    day = datetime.datetime(2025, 3, 4, tzinfo=datetime.timezone.utc)
    result = run_dag(REPO / "airflow_dags/features.py", logical_date=day)

    expected = local("examples.features.pipeline", ["features"], {"data_interval_start": day})["features"]
    got = result.outputs["features"]
    assert got.equals(expected)
    assert str(got["day"].iloc[0].date()) == "2025-03-04"


def test_nested_blocks_equal_the_driver_and_label_each_store_with_its_region(run_dag, local) -> None:
    result = run_dag(REPO / "airflow_dags/nested.py")

    assert result.outputs == local("examples.nested.pipeline", ["report"])
    sales = result.instances("store_sales")
    assert len(sales) == sum(len(stores) for stores in STORES.values()) == 5
    assert [t.label for t in sales[:3]] == [
        "region='north', store='oslo'",
        "region='north', store='bergen'",
        "region='south', store='rome'",
    ]
    assert [t.label for t in result.instances("region_total__region_line")] == [
        "region='north'",
        "region='south'",
        "region='east'",
    ]


@pytest.mark.parametrize("regions", [["east", "north"], ["east"], []], ids=["one-empty", "all-empty", "no-regions"])
def test_nested_regions_without_stores(run_dag, local, regions) -> None:
    result = run_dag(REPO / "airflow_dags/nested.py", run_conf={"regions": regions})

    assert result.outputs == local("examples.nested.pipeline", ["report"], {"regions": regions})
    stores = sum(len(STORES[r]) for r in regions)
    ran = [t for t in result.instances("store_sales") if t.state == "success"]
    assert len(ran) == stores
    assert result.instances("report")[0].state == "success"


def test_cli_airflow_test_runs_an_example(airflow_home, capsys) -> None:
    from hamilflow.cli import main

    code = main(["airflow-test", str(REPO / "airflow_dags/word_count.py"), "--home", str(airflow_home)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "success" in out and "total_words = 109" in out
    assert "url='file:" in out  # mapped instances are listed with their item
