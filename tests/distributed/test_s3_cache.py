"""The result cache on S3 (moto on loopback): one cache for the Driver on this machine and on another, and for a
compiled DAG run by Airflow (dag.test) whose artifact store is on S3, proven by counting executions; a run that
reads everything from it runs no user code."""

from __future__ import annotations

import collections
import datetime
import importlib
import uuid

import pytest

from hamilflow import driver
from hamilflow.caching.results import CacheRef
from hamilflow.compiler import CompileOptions, compile_pipeline
from hamilflow.runtime.store import store_from_env
from tests.distributed.cluster import BUCKET

pytestmark = [pytest.mark.distributed, pytest.mark.airflow]  # -m 'not airflow' leaves servers out

MODULE = "tests.resources.caching.features"


def test_a_cache_on_s3_serves_a_second_driver(s3_server, tmp_path, monkeypatch) -> None:
    runs = tmp_path / "runs.txt"
    monkeypatch.setenv("HAMILFLOW_TEST_RUNS", str(runs))
    url = f"s3://{BUCKET}/cache-tests/{uuid.uuid4().hex[:10]}"
    module = importlib.import_module(MODULE)
    outputs = ["report"]
    first = driver.Builder().with_modules(module).with_cache(url).build().execute(outputs, inputs={"day": "2024-03-05"})
    assert collections.Counter(runs.read_text().split())["raw"] == 1
    runs.unlink()
    second = (
        driver.Builder().with_modules(module).with_cache(url).build().execute(outputs, inputs={"day": "2024-03-05"})
    )
    assert second == first and not runs.exists()
    listed = s3_server.client().list_objects_v2(Bucket=BUCKET, Prefix=url.split(f"{BUCKET}/", 1)[1])
    assert any("/_cache/" in item["Key"] for item in listed.get("Contents", []))


@pytest.mark.airflow
def test_a_compiled_dag_with_its_store_and_cache_on_s3_runs_no_user_code_the_second_time(
    s3_server, airflow_home, run_dag, tmp_path, monkeypatch
) -> None:
    runs = tmp_path / "runs.txt"
    prefix = f"cache-dags/{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("HAMILFLOW_TEST_RUNS", str(runs))
    monkeypatch.setenv("HAMILFLOW_STORE_URL", f"s3://{BUCKET}/{prefix}")  # the artifact store, and so the cache
    monkeypatch.setenv("HAMILFLOW_STORE_SECRET", "a-deployment-secret")  # signed, as a production store is
    outputs = ["day_of_month", "store", "daily_total", "feature"]
    options = CompileOptions(
        modules=["tests.resources.caching.daily"],
        dag_id="daily_on_s3",
        final_vars=outputs,
        output=str(tmp_path / "daily_on_s3.py"),
        cache=True,
    )
    path = compile_pipeline(options).write()
    day = datetime.datetime(2024, 3, 5, tzinfo=datetime.timezone.utc)

    def objects(under: str = "") -> list[str]:
        listed = s3_server.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/{under}")
        return sorted(item["Key"] for item in listed.get("Contents", []))

    first = run_dag(path, logical_date=day)
    assert collections.Counter(runs.read_text().split()) == {
        "day_of_month": 1,
        "store": 1,
        "store_sales": 5 % 3 + 2,  # day 5: 5 % WINDOW + 2 stores
        "daily_total": 1,
        "feature": 1,
    }
    daily = importlib.import_module("tests.resources.caching.daily")
    assert first.outputs == driver.Builder().with_modules(daily).build().execute(outputs, inputs={"ds": "2024-03-05"})
    in_cache = objects("_cache/")
    assert in_cache  # the results went to the cache on S3
    # the first run's own artifacts go: the second run can read nothing but the cache
    run_artifacts = [key for key in objects() if key not in in_cache]
    assert run_artifacts
    s3_server.client().delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": key} for key in run_artifacts]})

    runs.unlink()
    second = run_dag(path, logical_date=day)
    assert not runs.exists()  # every node was read from the cache on S3: no user code ran
    assert second.outputs == first.outputs
    assert objects("_cache/") == in_cache  # nothing new was cached
    store = store_from_env()
    for name in ("day_of_month", "daily_total", "feature"):  # the run's values are references into the cache
        assert type(store.get(store.ref("daily_on_s3", second.run_id, name, ()))) is CacheRef
    assert not (airflow_home / "hamilflow-artifacts" / "daily_on_s3").exists()  # nothing went to the local store
