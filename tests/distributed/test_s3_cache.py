"""The result cache on S3 (moto on loopback): one cache for the Driver on this machine and on another,
proven by counting executions; a run that reads everything from it runs no user code."""

from __future__ import annotations

import collections
import importlib
import uuid

import pytest

from hamilflow import driver
from tests.distributed.cluster import BUCKET

pytestmark = [pytest.mark.distributed]

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
