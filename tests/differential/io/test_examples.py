"""examples/csv_validate_parquet on hamilflow's Driver and process pool equals Apache Hamilton, file and all."""

from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd
import pytest
from hamilton.data_quality.base import DataValidationError

from hamilflow.execution import executors
from tests.differential import harness as corpus
from tests.differential.io import harness
from tests.differential.io.harness import Outcome

REPO = Path(__file__).resolve().parents[3]
MODULE = "examples.csv_validate_parquet.pipeline"
OUTPUTS = ["saved_summary", "summary", "temperature_c_range_validator", "humidity_pct_range_validator"]


def _run(driver_module, folder: Path, readings: Path, executor=None) -> Outcome:
    folder.mkdir(parents=True, exist_ok=True)
    builder = driver_module.Builder().with_modules(importlib.import_module(MODULE))
    if executor is not None:
        builder = builder.enable_dynamic_execution(allow_experimental_mode=True).with_remote_executor(executor)
    inputs = {"readings_file": str(readings), "summary_file": str(folder / "summary.parquet")}
    values = builder.build().execute(OUTPUTS, inputs=inputs)
    return Outcome(harness.normalised(values, folder), None, harness.files_in(folder))


@pytest.mark.parametrize("back_end", ["driver", "processes"])
def test_loads_validates_and_saves_as_hamilton(tmp_path, back_end) -> None:
    from hamilton import driver as hamilton_driver

    from hamilflow import driver

    readings = REPO / "examples/csv_validate_parquet/readings.csv"
    expected = _run(hamilton_driver, tmp_path / "hamilton", readings)
    pool = executors.MultiProcessingExecutor(2) if back_end == "processes" else None
    actual = _run(driver, tmp_path / "hamilflow", readings, pool)

    summary = expected.values.pop("summary")
    corpus.assert_same_value(summary, actual.values.pop("summary"), "summary")
    assert actual.values == expected.values and actual.files == expected.files
    assert list(summary["station"]) == ["lima", "oslo", "rome"] and list(summary["days"]) == [3, 3, 3]
    assert expected.values["humidity_pct_range_validator"].passes is False  # the missing humidity: warned
    assert expected.values["temperature_c_range_validator"].passes is True
    saved = pd.read_parquet(tmp_path / "hamilflow" / "summary.parquet")
    pd.testing.assert_frame_equal(saved, summary)
    assert expected.values["saved_summary"]["dataframe_metadata"]["rows"] == 3


def test_a_temperature_out_of_range_stops_both_before_anything_is_saved(tmp_path) -> None:
    from hamilton import driver as hamilton_driver

    from hamilflow import driver

    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(REPO / "examples/csv_validate_parquet/readings.csv")
    frame.loc[0, "temperature_c"] = 75.0
    frame.to_csv(bad, index=False)
    for name, driver_module in (("hamilton", hamilton_driver), ("hamilflow", driver)):
        with pytest.raises(DataValidationError, match="range"):
            _run(driver_module, tmp_path / name, bad)
        assert not (tmp_path / name / "summary.parquet").exists()
