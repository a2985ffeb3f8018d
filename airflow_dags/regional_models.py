"""regional_models

One demand model per region: a `@subdag` reused for every item of a `Parallelizable[]` block.

`demand` stands for a warehouse table: 30 weeks of demand per region, generated from a
formula and a fixed seed so every run agrees. `region` fans out over its columns; for each
region, `region_demand` picks the region's series and `region_forecast` runs the model of
`forecast.py` on it as a subdag: its nodes live in the `region_forecast` namespace
(`region_forecast.fitted`, `region_forecast.holdout_error`, ...), and on Airflow they run
inside the mapped task of the block, once per region. `forecast_table` collects the regions.

The `model` config entry picks the model variant inside the subdag (`@config.when` in
`forecast.py`): `moving_average` or `trend`. Outside the block, `@parameterized_subdag`
runs the same model module twice on the company's total demand, once per variant, each in
a namespace of its own and each with its own config; `model_comparison` sets the chosen
variant beside both benchmark errors, so a reviewer can see whether the choice still holds.

Compiled by hamilflow: 24 tasks computing forecast_table, model_comparison.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""

# Compiled by hamilflow from examples.regional_models.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Param, TaskGroup, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "regional_models",
    "modules": ["examples.regional_models.pipeline"],
    "final_vars": ["forecast_table", "model_comparison"],
    "fingerprint": "ae6a6107ea7865ff",
    "config": {"model": "trend"},
    "grouping": "default",
    "store_url": None,
    "params": ["weeks"],
    "context_inputs": [],
    "chunking": {"region": {"items_per_task": 0}},
    "function_defaults": {"weeks": 30},
    "compile_options": {
        "params": {},
        "schedule": None,
        "start_date": "2024-01-01",
        "catchup": False,
        "retries": None,
        "items_per_task": None,
        "tags": ["hamilflow"],
    },
}
pipeline = CompiledPipeline(SPEC)


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["hamilflow"],
    params={"weeks": Param(30, type="integer", description="input of demand (int)")},
    doc_md=__doc__,
)
def regional_models():
    moving_average_benchmark_group = TaskGroup(group_id="moving_average_benchmark")
    region_forecast_group = TaskGroup(group_id="region_forecast")
    trend_benchmark_group = TaskGroup(group_id="trend_benchmark")

    @task(
        task_id="horizon",
        task_group=region_forecast_group,
        doc_md="**region_forecast.horizon** (int) — `examples.regional_models.pipeline.region_forecast`",
    )
    def region_forecast_horizon():
        pipeline.run("region_forecast.horizon")

    @task(
        task_id="holdout_weeks",
        task_group=region_forecast_group,
        doc_md="**region_forecast.holdout_weeks** (int) — `examples.regional_models.pipeline.region_forecast`",
    )
    def region_forecast_holdout_weeks():
        pipeline.run("region_forecast.holdout_weeks")

    @task(
        task_id="holdout_weeks",
        task_group=moving_average_benchmark_group,
        doc_md="**moving_average_benchmark.holdout_weeks** (int) — `examples.regional_models.pipeline.benchmark`",
    )
    def moving_average_benchmark_holdout_weeks():
        pipeline.run("moving_average_benchmark.holdout_weeks")

    @task(
        task_id="holdout_weeks",
        task_group=trend_benchmark_group,
        doc_md="**trend_benchmark.holdout_weeks** (int) — `examples.regional_models.pipeline.benchmark`",
    )
    def trend_benchmark_holdout_weeks():
        pipeline.run("trend_benchmark.holdout_weeks")

    @task(
        doc_md=(
            "Weekly demand per region (one column each): level, growth, a 13-week season and seeded noise.\n\n"
            "**demand** (DataFrame) — `examples.regional_models.pipeline.demand`"
        ),
    )
    def demand():
        # Reads weeks (param).
        pipeline.run("demand")

    @task(
        doc_md=(
            "Each region of the demand table: what follows runs once per region.\n\n"
            "**region** (str) — `examples.regional_models.pipeline.region`"
        ),
    )
    def region():
        # Reads demand.
        return pipeline.run("region")

    @task(
        doc_md=(
            "The company's weekly demand: all regions together.\n\n"
            "**total_demand** (Series) — `examples.regional_models.pipeline.total_demand`"
        ),
    )
    def total_demand():
        # Reads demand.
        pipeline.run("total_demand")

    @task(
        map_index_template="{{ hamilflow_item }}",
        task_display_name="region_demand … region_forecast (9 nodes)",
        doc_md=(
            "**region_demand** (Series) — `examples.regional_models.pipeline.region_demand`\n\n"
            "One region's weekly demand.\n\n"
            "**region_forecast.history** (Series) — `examples.regional_models.pipeline.region_forecast`\n\n"
            "**region_forecast.holdout** (Series) — `examples.regional_models.pipeline.region_forecast`\n\n"
            "The last `holdout_weeks` weeks, kept aside to measure the model.\n\n"
            "**region_forecast.training** (Series) — `examples.regional_models.pipeline.region_forecast`\n\n"
            "The weeks the model is fitted on: all but the last `holdout_weeks`.\n\n"
            "**region_forecast.fitted** (dict) — `examples.regional_models.pipeline.region_forecast`\n\n"
            "A straight line through the training weeks, continued from its last week.\n\n"
            "**region_forecast.backtest** (Series) — `examples.regional_models.pipeline.region_forecast`\n\n"
            "What the model predicts for the holdout weeks.\n\n"
            "**region_forecast.forecast** (Series) — `examples.regional_models.pipeline.region_forecast`\n\n"
            "Demand for the `horizon` weeks after the history.\n\n"
            "**region_forecast.holdout_error** (float) — `examples.regional_models.pipeline.region_forecast`\n\n"
            "Mean absolute percentage error on the holdout weeks.\n\n"
            "**region_forecast** (dict) — `examples.regional_models.pipeline.region_forecast`\n\n"
            "The region's model, its error on the holdout weeks and its forecast, as one record."
        ),
    )
    def region_demand__to__region_forecast(chunk):
        # Reads region (one item), demand, region_forecast.holdout_weeks, region_forecast.horizon.
        pipeline.run("region_demand__to__region_forecast", chunk)

    @task(
        task_id="history",
        task_group=moving_average_benchmark_group,
        doc_md="**moving_average_benchmark.history** (Series) — `examples.regional_models.pipeline.benchmark`",
    )
    def moving_average_benchmark_history():
        # Reads total_demand.
        pipeline.run("moving_average_benchmark.history")

    @task(
        task_id="history",
        task_group=trend_benchmark_group,
        doc_md="**trend_benchmark.history** (Series) — `examples.regional_models.pipeline.benchmark`",
    )
    def trend_benchmark_history():
        # Reads total_demand.
        pipeline.run("trend_benchmark.history")

    @task(
        task_id="holdout",
        task_group=moving_average_benchmark_group,
        doc_md=(
            "The last `holdout_weeks` weeks, kept aside to measure the model.\n\n"
            "**moving_average_benchmark.holdout** (Series) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def moving_average_benchmark_holdout():
        # Reads moving_average_benchmark.history, moving_average_benchmark.holdout_weeks.
        pipeline.run("moving_average_benchmark.holdout")

    @task(
        task_id="training",
        task_group=moving_average_benchmark_group,
        doc_md=(
            "The weeks the model is fitted on: all but the last `holdout_weeks`.\n\n"
            "**moving_average_benchmark.training** (Series) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def moving_average_benchmark_training():
        # Reads moving_average_benchmark.history, moving_average_benchmark.holdout_weeks.
        pipeline.run("moving_average_benchmark.training")

    @task(
        task_id="holdout",
        task_group=trend_benchmark_group,
        doc_md=(
            "The last `holdout_weeks` weeks, kept aside to measure the model.\n\n"
            "**trend_benchmark.holdout** (Series) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def trend_benchmark_holdout():
        # Reads trend_benchmark.history, trend_benchmark.holdout_weeks.
        pipeline.run("trend_benchmark.holdout")

    @task(
        task_id="training",
        task_group=trend_benchmark_group,
        doc_md=(
            "The weeks the model is fitted on: all but the last `holdout_weeks`.\n\n"
            "**trend_benchmark.training** (Series) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def trend_benchmark_training():
        # Reads trend_benchmark.history, trend_benchmark.holdout_weeks.
        pipeline.run("trend_benchmark.training")

    @task(
        task_id="fitted",
        task_group=moving_average_benchmark_group,
        doc_md=(
            "A flat forecast: the mean of the last weeks of training.\n\n"
            "**moving_average_benchmark.fitted** (dict) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def moving_average_benchmark_fitted():
        # Reads moving_average_benchmark.training.
        pipeline.run("moving_average_benchmark.fitted")

    @task(
        task_id="fitted",
        task_group=trend_benchmark_group,
        doc_md=(
            "A straight line through the training weeks, continued from its last week.\n\n"
            "**trend_benchmark.fitted** (dict) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def trend_benchmark_fitted():
        # Reads trend_benchmark.training.
        pipeline.run("trend_benchmark.fitted")

    @task(
        task_id="backtest",
        task_group=moving_average_benchmark_group,
        doc_md=(
            "What the model predicts for the holdout weeks.\n\n"
            "**moving_average_benchmark.backtest** (Series) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def moving_average_benchmark_backtest():
        # Reads moving_average_benchmark.fitted, moving_average_benchmark.holdout.
        pipeline.run("moving_average_benchmark.backtest")

    @task(
        task_id="backtest",
        task_group=trend_benchmark_group,
        doc_md=(
            "What the model predicts for the holdout weeks.\n\n"
            "**trend_benchmark.backtest** (Series) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def trend_benchmark_backtest():
        # Reads trend_benchmark.fitted, trend_benchmark.holdout.
        pipeline.run("trend_benchmark.backtest")

    @task(
        task_id="holdout_error",
        task_group=moving_average_benchmark_group,
        doc_md=(
            "Mean absolute percentage error on the holdout weeks.\n\n"
            "**moving_average_benchmark.holdout_error** (float) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def moving_average_benchmark_holdout_error():
        # Reads moving_average_benchmark.backtest, moving_average_benchmark.holdout.
        pipeline.run("moving_average_benchmark.holdout_error")

    @task(
        task_id="holdout_error",
        task_group=trend_benchmark_group,
        doc_md=(
            "Mean absolute percentage error on the holdout weeks.\n\n"
            "**trend_benchmark.holdout_error** (float) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def trend_benchmark_holdout_error():
        # Reads trend_benchmark.backtest, trend_benchmark.holdout.
        pipeline.run("trend_benchmark.holdout_error")

    @task(
        task_group=moving_average_benchmark_group,
        doc_md=(
            "One variant's holdout error on the total demand, in percent.\n\n"
            "**moving_average_benchmark** (float) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def moving_average_benchmark():
        # Reads moving_average_benchmark.holdout_error.
        pipeline.run("moving_average_benchmark")

    @task(
        task_group=trend_benchmark_group,
        doc_md=(
            "One variant's holdout error on the total demand, in percent.\n\n"
            "**trend_benchmark** (float) — `examples.regional_models.pipeline.benchmark`"
        ),
    )
    def trend_benchmark():
        # Reads trend_benchmark.holdout_error.
        pipeline.run("trend_benchmark")

    @task(
        doc_md=(
            "The configured variant beside both variants' errors on the total, and which one is better there.\n\n"
            "**model_comparison** (dict) — `examples.regional_models.pipeline.model_comparison`"
        ),
    )
    def model_comparison():
        # Reads moving_average_benchmark, trend_benchmark, model (config).
        pipeline.run("model_comparison")

    @task(
        trigger_rule="none_failed",
        doc_md=(
            "Every region's record, one row each, in the order of the regions.\n\n"
            "**forecast_table** (DataFrame) — `examples.regional_models.pipeline.forecast_table`"
        ),
    )
    def forecast_table():
        # Reads region_forecast (collected over region).
        pipeline.run("forecast_table")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    region_forecast_horizon_task = region_forecast_horizon()
    region_forecast_holdout_weeks_task = region_forecast_holdout_weeks()
    moving_average_benchmark_holdout_weeks_task = moving_average_benchmark_holdout_weeks()
    trend_benchmark_holdout_weeks_task = trend_benchmark_holdout_weeks()
    demand_task = demand()
    region_chunks = region()
    total_demand_task = total_demand()
    region_demand__to__region_forecast_task = region_demand__to__region_forecast.expand(chunk=region_chunks)
    moving_average_benchmark_history_task = moving_average_benchmark_history()
    trend_benchmark_history_task = trend_benchmark_history()
    moving_average_benchmark_holdout_task = moving_average_benchmark_holdout()
    moving_average_benchmark_training_task = moving_average_benchmark_training()
    trend_benchmark_holdout_task = trend_benchmark_holdout()
    trend_benchmark_training_task = trend_benchmark_training()
    moving_average_benchmark_fitted_task = moving_average_benchmark_fitted()
    trend_benchmark_fitted_task = trend_benchmark_fitted()
    moving_average_benchmark_backtest_task = moving_average_benchmark_backtest()
    trend_benchmark_backtest_task = trend_benchmark_backtest()
    moving_average_benchmark_holdout_error_task = moving_average_benchmark_holdout_error()
    trend_benchmark_holdout_error_task = trend_benchmark_holdout_error()
    moving_average_benchmark_task = moving_average_benchmark()
    trend_benchmark_task = trend_benchmark()
    model_comparison_task = model_comparison()
    forecast_table_task = forecast_table()

    # Each task after the tasks whose results it reads.
    demand_task >> region_chunks
    demand_task >> total_demand_task
    [
        demand_task,
        region_forecast_holdout_weeks_task,
        region_forecast_horizon_task,
    ] >> region_demand__to__region_forecast_task
    total_demand_task >> moving_average_benchmark_history_task
    total_demand_task >> trend_benchmark_history_task
    [
        moving_average_benchmark_history_task,
        moving_average_benchmark_holdout_weeks_task,
    ] >> moving_average_benchmark_holdout_task
    [
        moving_average_benchmark_history_task,
        moving_average_benchmark_holdout_weeks_task,
    ] >> moving_average_benchmark_training_task
    [trend_benchmark_history_task, trend_benchmark_holdout_weeks_task] >> trend_benchmark_holdout_task
    [trend_benchmark_history_task, trend_benchmark_holdout_weeks_task] >> trend_benchmark_training_task
    moving_average_benchmark_training_task >> moving_average_benchmark_fitted_task
    trend_benchmark_training_task >> trend_benchmark_fitted_task
    [
        moving_average_benchmark_fitted_task,
        moving_average_benchmark_holdout_task,
    ] >> moving_average_benchmark_backtest_task
    [trend_benchmark_fitted_task, trend_benchmark_holdout_task] >> trend_benchmark_backtest_task
    [
        moving_average_benchmark_backtest_task,
        moving_average_benchmark_holdout_task,
    ] >> moving_average_benchmark_holdout_error_task
    [trend_benchmark_backtest_task, trend_benchmark_holdout_task] >> trend_benchmark_holdout_error_task
    moving_average_benchmark_holdout_error_task >> moving_average_benchmark_task
    trend_benchmark_holdout_error_task >> trend_benchmark_task
    [moving_average_benchmark_task, trend_benchmark_task] >> model_comparison_task
    region_demand__to__region_forecast_task >> forecast_table_task


regional_models_dag = regional_models()
