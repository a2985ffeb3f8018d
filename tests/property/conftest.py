"""The property tests' large budget runs only when asked for: ``pytest -m property_large tests/property``."""

from __future__ import annotations

import pytest

from tests.test_executors import dask_client, ray_owner  # noqa: F401 - the Dask and Ray of the large budget


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "property_large" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="the large property budget runs with -m property_large (not in CI)")
    for item in items:
        if "property_large" in item.keywords:
            item.add_marker(skip)
