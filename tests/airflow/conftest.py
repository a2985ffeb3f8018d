"""The Airflow end-to-end tests of this folder run on the session's embedded Airflow (tests/airflow_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.airflow_fixtures import REPO

__all__ = ["REPO"]


# Prepares the session's embedded Airflow before the first test of this folder runs.
@pytest.fixture(autouse=True)
def _embedded_airflow(airflow_home: Path) -> Path:
    return airflow_home
