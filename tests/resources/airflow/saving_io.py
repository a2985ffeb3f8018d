"""The materializers of :mod:`tests.resources.airflow.saving`, apart from it (a function there would be a node).

Files live under ``HAMILFLOW_TEST_DATA`` (read) and ``HAMILFLOW_TEST_OUT`` (written).
"""

from __future__ import annotations

import os

from hamilton.io.materialization import from_, to


def materializers() -> list:
    data, out = os.environ["HAMILFLOW_TEST_DATA"], os.environ["HAMILFLOW_TEST_OUT"]
    return [
        from_.csv(target="raw", path=f"{data}/raw.csv"),
        to.parquet(id="features_parquet", dependencies=["features"], path=f"{out}/features.parquet"),
        to.json(id="summary_json", dependencies=["summary"], path=f"{out}/summary.json"),
    ]
