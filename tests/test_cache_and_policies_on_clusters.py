"""The result cache and block policies on Dask and Ray: the same counts and the same items as on the Driver."""

from __future__ import annotations

import collections
import importlib
import warnings
from pathlib import Path

import pytest

from hamilflow import driver
from hamilflow.execution.item_failures import ItemFailuresWarning
from tests.test_executors import dask_client, ray_owner  # noqa: F401 - module-scoped clusters, started once
from tests.test_item_failures import BLOCK


@pytest.fixture(params=["dask", "ray"])
def cluster(request):
    if request.param == "dask":
        from hamilflow.plugins.h_dask import DaskExecutor

        return DaskExecutor(client=request.getfixturevalue("dask_client"))
    request.getfixturevalue("ray_owner")
    from hamilflow.plugins.h_ray import RayTaskExecutor

    return RayTaskExecutor(num_cpus=2)  # Ray is running already: this one does not own it


def _on(cluster, module, **cache):
    builder = driver.Builder().with_modules(module).enable_dynamic_execution(allow_experimental_mode=True)
    builder = builder.with_remote_executor(cluster)
    return (builder.with_cache(**cache) if cache else builder).build()


def test_a_second_run_on_a_cluster_reads_what_the_first_cached(cluster, tmp_path, module_from_source) -> None:
    """The features pipeline, made at run time (the cluster's workers cannot import the tests) and writing
    its record of runs to a path written into its code (the workers started before this test's environment)."""
    runs = tmp_path / "runs.txt"
    source = Path(importlib.import_module("tests.resources.caching.features").__file__).read_text()
    module = module_from_source(source.replace('os.environ["HAMILFLOW_TEST_RUNS"]', repr(str(runs))))
    first = _on(cluster, module, path=str(tmp_path / "cache")).execute(["report"], inputs={"day": "2024-03-05"})
    assert collections.Counter(runs.read_text().split())["region_score"] == 2
    runs.unlink()
    second = _on(cluster, module, path=str(tmp_path / "cache")).execute(["report"], inputs={"day": "2024-03-05"})
    assert second == first and not runs.exists()


def test_failed_items_are_left_out_on_a_cluster(cluster, module_from_source) -> None:
    module = module_from_source(BLOCK.replace("RATIO", '"0.5"'))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _on(cluster, module).execute(["kept"], inputs={"n": 12})
    assert result == {"kept": 8}
    (warning,) = [w.message for w in caught if isinstance(w.message, ItemFailuresWarning)]
    assert [f.index for f in warning.failures] == [(0,), (3,), (6,), (9,)]
