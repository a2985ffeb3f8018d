"""The decorated examples on Airflow 3: each compiled DAG file computes what Apache Hamilton computes.

`data_quality`, `sales_by_region` and `regional_models` use most of Hamilton's decorators
(checks, pipes, mutate, parameterize, extract, inject, subdag inside a Parallelizable block).
Apache Hamilton's own Driver is the reference: for each example, the committed DAG file in
airflow_dags/ runs with ``dag.test()`` and its outputs must equal Hamilton's and hamilflow's
Driver's, value for value.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hamilflow.compiler import check_dag_file, embedded_options
from tests.airflow.conftest import REPO

pytestmark = pytest.mark.airflow


@dataclasses.dataclass(frozen=True)
class Example:
    module: str
    config: dict[str, Any]
    outputs: tuple[str, ...]

    @property
    def dag_file(self) -> Path:
        return REPO / "airflow_dags" / f"{self.module.split('.')[1]}.py"


DATA_QUALITY = Example(
    "examples.data_quality.pipeline",
    {"convert_currency": True},
    (
        "total_revenue",
        "order_count",
        "average_order_value",
        "revenue_by_region",
        "revenue_by_customer",
        "quantity_range_validator",
        "amount_data_type_validator",
        "amount_allow_nans_validator",
        "revenue_by_region_max_share_validator",
        "revenue_by_customer_max_share_validator",
    ),
)
SALES_BY_REGION = Example("examples.sales_by_region.pipeline", {}, ("regional_report", "channel_mix", "period"))
REGIONAL_MODELS = Example(
    "examples.regional_models.pipeline",
    {"model": "trend"},
    ("forecast_table", "model_comparison"),
)
# the nodes of examples/regional_models/forecast.py that compute a holdout error
FORECAST_NODES = ("history", "training", "holdout", "fitted", "backtest", "holdout_error")
EXAMPLES = {"data_quality": DATA_QUALITY, "sales_by_region": SALES_BY_REGION, "regional_models": REGIONAL_MODELS}


def _build(driver_module: Any, module: str, config: dict) -> Any:
    return (
        driver_module.Builder()
        .with_modules(importlib.import_module(module))
        .with_config(config)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .build()
    )


def _run_driver(driver_module: Any, module: str, config: dict, outputs: list[str], inputs: dict | None = None) -> dict:
    return _build(driver_module, module, config).execute(outputs, inputs=inputs or {})


def _hamilton(module: str, config: dict, outputs: list[str], inputs: dict | None = None) -> dict:
    """The reference: Apache Hamilton's own Driver."""
    from hamilton import driver

    return _run_driver(driver, module, config, outputs, inputs)


def _hamilflow(module: str, config: dict, outputs: list[str], inputs: dict | None = None) -> dict:
    from hamilflow import driver

    return _run_driver(driver, module, config, outputs, inputs)


def _assert_same(got: dict, expected: dict) -> None:
    """Equal outputs: pandas objects with their dtypes and index, ValidationResults field by field."""
    assert set(got) == set(expected)
    for name, value in expected.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(got[name], value, obj=name)
        elif isinstance(value, pd.Series):
            pd.testing.assert_series_equal(got[name], value, obj=name)
        else:
            assert got[name] == value, name


def _run_and_compare(run_dag, example: Example, **run: Any):
    options = embedded_options(example.dag_file)
    assert (options.config, tuple(options.final_vars)) == (example.config, example.outputs)
    result = run_dag(example.dag_file, **run)
    inputs = run.get("run_conf")
    expected = _hamilton(example.module, example.config, list(example.outputs), inputs)
    _assert_same(result.outputs, expected)
    _assert_same(_hamilflow(example.module, example.config, list(example.outputs), inputs), expected)
    assert all(t.state == "success" for t in result.tasks)
    return result, expected


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_committed_dag_file_is_current(name: str) -> None:
    assert check_dag_file(EXAMPLES[name].dag_file) is None


@pytest.mark.parametrize("name", EXAMPLES)
def test_hamilflow_makes_the_nodes_and_tags_hamilton_makes(name: str) -> None:
    from hamilton import driver as hamilton_driver

    from hamilflow import driver

    example = EXAMPLES[name]
    nodes = [_build(d, example.module, example.config).list_available_variables() for d in (driver, hamilton_driver)]
    ours, theirs = ({n.name: (n.type, n.tags) for n in listed} for listed in nodes)
    assert ours == theirs


@pytest.mark.parametrize(
    ("module", "config", "outputs", "inputs"),
    [
        (DATA_QUALITY.module, {}, ["total_revenue", "revenue_by_customer", "amount_allow_nans_validator"], {}),
        (SALES_BY_REGION.module, {}, ["regional_report", "channel_mix", "period"], {"days": 7}),
    ],
    ids=["data_quality-unconverted", "sales_by_region-one-week"],
)
def test_other_configs_and_inputs_equal_hamilton_in_process(module, config, outputs, inputs) -> None:
    _assert_same(_hamilflow(module, config, outputs, inputs), _hamilton(module, config, outputs, inputs))


# ---------------------------------------------------------------------------- data_quality
def test_data_quality_equals_hamilton_and_a_warning_check_does_not_stop_the_run(run_dag) -> None:
    result, expected = _run_and_compare(run_dag, DATA_QUALITY)

    got = result.outputs
    assert got["order_count"] == 32 and got["total_revenue"] == expected["total_revenue"]
    # warn: the bulk order of 120 units is out of range, and the run goes on
    assert not got["quantity_range_validator"].passes
    assert got["quantity_range_validator"].diagnostics["out_range"] == 1
    assert got["amount_data_type_validator"].passes and got["amount_allow_nans_validator"].passes
    # the custom validator: north holds more than 60% of revenue, no customer does
    assert not got["revenue_by_region_max_share_validator"].passes
    assert got["revenue_by_region_max_share_validator"].diagnostics["top"] == "north"
    assert got["revenue_by_customer_max_share_validator"].passes
    # the @pipe_input cleaning steps run as tasks of the `orders` TaskGroup
    task_ids = {t.task_id for t in result.tasks}
    assert {"orders.deduplicated", "orders.kept", "orders.tidied", "orders.priced", "orders.orders"} <= task_ids
    assert {"raw_orders", "quantity_raw", "quantity", "amount_raw", "amount", "revenue_by_region_raw"} <= task_ids


def test_data_quality_a_failing_check_fails_the_run_as_it_does_in_hamilton(run_dag, tmp_path) -> None:
    from hamilton.data_quality.base import DataValidationError

    orders = pd.read_csv(REPO / "examples/data_quality/orders.csv")
    orders.loc[orders["order_id"] == "A1013", "currency"] = "JPY"  # a currency without a rate: no amount
    path = tmp_path / "orders_jpy.csv"
    orders.to_csv(path, index=False)

    result = run_dag(DATA_QUALITY.dag_file, expect="failed", run_conf={"orders_file": str(path)})

    [amount] = result.instances("amount")
    assert amount.state == "failed" and "DataValidationError" in amount.error and "allow_nans" in amount.error
    assert [t.state for t in result.instances("amount_allow_nans_validator")] == ["success"]
    for run in (_hamilton, _hamilflow):
        with pytest.raises(DataValidationError, match="allow_nans"):
            run(DATA_QUALITY.module, DATA_QUALITY.config, ["total_revenue"], {"orders_file": str(path)})


# ------------------------------------------------------------------------- sales_by_region
def test_sales_by_region_equals_hamilton_with_one_mapped_instance_per_region(run_dag) -> None:
    from hamilflow import driver

    result, expected = _run_and_compare(run_dag, SALES_BY_REGION)

    report = result.outputs["regional_report"]
    declared = _build(driver, SALES_BY_REGION.module, {}).list_available_variables()
    [schema] = [v.tags["hamilton.internal.schema_output"] for v in declared if v.name == "regional_report"]
    assert list(report.columns) == [column.split("=")[0] for column in schema.split(",")]  # as @schema.output says
    assert sorted(report["region"]) == ["east", "north", "south", "west"]
    assert list(report["rank"]) == [1, 2, 3, 4] and report["revenue"].is_monotonic_decreasing
    # the per-region nodes, @pipe_input steps included, run in one mapped task: an instance per region
    [block] = {t.task_id for t in result.tasks if t.map_index >= 0}
    assert [t.label for t in result.instances(block)] == [f"region='{r}'" for r in ("east", "north", "south", "west")]
    # @mutate and @pipe_output steps are tasks of the groups of the nodes they change
    task_ids = {t.task_id for t in result.tasks}
    assert {"sales.raw", "sales.with_margin", "sales.with_active_rows", "sales.sales"} <= task_ids
    assert {"regional_report.raw", "regional_report.with_ranked", "regional_report.with_revenue_share"} <= task_ids
    assert {"regional_report.regional_report", "channel_totals__0", "online_revenue", "channel_mix"} <= task_ids


# ------------------------------------------------------------------------- regional_models
def test_regional_models_equals_hamilton_with_the_subdag_run_per_region(run_dag) -> None:
    result, expected = _run_and_compare(run_dag, REGIONAL_MODELS)

    table = result.outputs["forecast_table"]
    assert list(table.index) == ["north", "south", "east", "west"] and set(table["model"]) == {"trend"}
    assert result.outputs["model_comparison"]["chosen"] == "trend"
    # the subdag inside the block runs in the block's mapped task, once per region
    [block] = {t.task_id for t in result.tasks if t.map_index >= 0}
    assert [t.label for t in result.instances(block)] == [f"region='{r}'" for r in table.index]
    # its static inputs, and both copies of the parameterized subdag, sit in TaskGroups named after their namespace
    task_ids = {t.task_id for t in result.tasks}
    assert {"region_forecast.horizon", "region_forecast.holdout_weeks"} <= task_ids
    for variant in ("moving_average_benchmark", "trend_benchmark"):
        assert {f"{variant}.{node}" for node in (*FORECAST_NODES, variant)} <= task_ids


def test_regional_models_compiled_with_the_other_variant_equals_hamilton(compile_dag, run_dag) -> None:
    config = {"model": "moving_average"}
    outputs = list(REGIONAL_MODELS.outputs)
    path = compile_dag(REGIONAL_MODELS.module, "regional_models_moving_average", config=config, final_vars=outputs)

    result = run_dag(path)

    expected = _hamilton(REGIONAL_MODELS.module, config, outputs)
    _assert_same(result.outputs, expected)
    assert set(result.outputs["forecast_table"]["model"]) == {"moving_average"}


def test_regional_models_grouping_individual_maps_each_subdag_node_in_its_task_group(compile_dag, run_dag) -> None:
    outputs = list(REGIONAL_MODELS.outputs)
    path = compile_dag(
        REGIONAL_MODELS.module,
        "regional_models_individual",
        config=REGIONAL_MODELS.config,
        final_vars=outputs,
        grouping="individual",
    )

    result = run_dag(path)

    _assert_same(result.outputs, _hamilton(REGIONAL_MODELS.module, REGIONAL_MODELS.config, outputs))
    regions = list(result.outputs["forecast_table"].index)
    for node in (*FORECAST_NODES, "forecast", "region_forecast"):
        instances = result.instances(f"region_forecast.{node}")  # a mapped task in the subdag's group
        assert [t.label for t in instances] == [f"region='{r}'" for r in regions], node
        assert all(t.state == "success" for t in instances)
