"""sales_by_region

Sales per region, the pandas split-apply-combine way: split by region, apply per region, combine a report.

`sales` stands for a warehouse query: two weeks of daily units, revenue and cost per store
and channel, generated from a fixed seed so every run agrees. Two `@mutate` steps, written
beside it as private functions, add a margin column and drop idle rows before anything
reads `sales`.

- **split**: `calendar` returns a dict whose fields `@extract_fields` turns into nodes
  (`regions`, `period`), labelled with `@tag_outputs`; `region` fans out over the regions
  (`Parallelizable[str]`).
- **apply**: per region, `region_sales` filters the rows, and `region_trend` is fed through
  two `@pipe_input` steps (daily revenue, then a rolling mean) before it computes the trend.
  These run once per region, on Airflow as one mapped task instance per region.
- **combine**: `regional_report` collects the regions' summaries (`Collect[dict]`), ranks
  them and adds each region's share of revenue through `@pipe_output` steps, and declares
  its columns with `@schema.output`.

Alongside, without fanning out, `@parameterize_extract_columns` makes per-channel totals
(`online_units`, `online_revenue`, `store_units`, `store_revenue`) from one function, and
`@inject(revenues=group(...))` hands both revenue series to `channel_mix` as one list.

This module imports its decorators from `hamilflow.function_modifiers`, which re-exports
Hamilton's own: the same module runs unchanged on Apache Hamilton's driver.

Compiled by hamilflow: 18 tasks computing regional_report, channel_mix, period.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""

# Compiled by hamilflow from examples.sales_by_region.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Param, TaskGroup, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "sales_by_region",
    "modules": ["examples.sales_by_region.pipeline"],
    "final_vars": ["regional_report", "channel_mix", "period"],
    "fingerprint": "b7e93e51a4a141b2",
    "config": {},
    "grouping": "default",
    "store_url": None,
    "params": ["days"],
    "context_inputs": [],
    "chunking": {"region": {"items_per_task": 0}},
    "function_defaults": {"days": 14},
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
    params={"days": Param(14, type="integer", description="input of sales.raw (int)")},
    doc_md=__doc__,
)
def sales_by_region():
    regional_report_group = TaskGroup(group_id="regional_report")
    sales_group = TaskGroup(group_id="sales")

    @task(
        task_id="raw",
        task_group=sales_group,
        doc_md=(
            "Daily units, revenue and cost per store and channel, from a fixed seed (stands in for a query).\n\n"
            "**sales.raw** (DataFrame) — `examples.sales_by_region.pipeline.sales`"
        ),
    )
    def sales_raw():
        # Reads days (param).
        pipeline.run("sales.raw")

    @task(
        task_id="with_margin",
        task_group=sales_group,
        doc_md=(
            "Adds each row's margin: revenue minus cost.\n\n"
            "**sales.with_margin** (DataFrame) — `examples.sales_by_region.pipeline.sales`"
        ),
    )
    def sales_with_margin():
        # Reads sales.raw.
        pipeline.run("sales.with_margin")

    @task(
        task_id="with_active_rows",
        task_group=sales_group,
        doc_md=(
            "Drops store-days of a channel that sold fewer than `min_units` units.\n\n"
            "**sales.with_active_rows** (DataFrame) — `examples.sales_by_region.pipeline.sales`"
        ),
    )
    def sales_with_active_rows():
        # Reads sales.with_margin.
        pipeline.run("sales.with_active_rows")

    @task(task_group=sales_group, doc_md="**sales** (DataFrame) — `examples.sales_by_region.pipeline.sales`")
    def sales():
        # Reads sales.with_active_rows.
        pipeline.run("sales")

    @task(
        doc_md=(
            "The regions that sold in the period, and the period as a label.\n\n"
            "**calendar** (dict) — `examples.sales_by_region.pipeline.calendar`"
        ),
    )
    def calendar():
        # Reads sales.
        pipeline.run("calendar")

    @task(
        doc_md=(
            "Units and revenue per region for one sales channel.\n\n"
            "**channel_totals__0** (DataFrame) — `examples.sales_by_region.pipeline.channel_totals`"
        ),
    )
    def channel_totals__0():
        # Reads sales.
        pipeline.run("channel_totals__0")

    @task(
        doc_md=(
            "Units and revenue per region for one sales channel.\n\n"
            "**channel_totals__1** (DataFrame) — `examples.sales_by_region.pipeline.channel_totals`"
        ),
    )
    def channel_totals__1():
        # Reads sales.
        pipeline.run("channel_totals__1")

    @task(
        doc_md=(
            "The regions that sold in the period, and the period as a label.\n\n"
            "**regions** (list) — `examples.sales_by_region.pipeline.calendar`"
        ),
    )
    def regions():
        # Reads calendar.
        pipeline.run("regions")

    @task(
        doc_md=(
            "The regions that sold in the period, and the period as a label.\n\n"
            "**period** (str) — `examples.sales_by_region.pipeline.calendar`"
        ),
    )
    def period():
        # Reads calendar.
        pipeline.run("period")

    @task(
        doc_md=(
            "Units and revenue per region for one sales channel.\n\n"
            "**online_revenue** (Series) — `examples.sales_by_region.pipeline.channel_totals`"
        ),
    )
    def online_revenue():
        # Reads channel_totals__0.
        pipeline.run("online_revenue")

    @task(
        doc_md=(
            "Units and revenue per region for one sales channel.\n\n"
            "**store_revenue** (Series) — `examples.sales_by_region.pipeline.channel_totals`"
        ),
    )
    def store_revenue():
        # Reads channel_totals__1.
        pipeline.run("store_revenue")

    @task(
        doc_md=(
            "Each region that sold in the period: what follows runs once per region.\n\n"
            "**region** (str) — `examples.sales_by_region.pipeline.region`"
        ),
    )
    def region():
        # Reads regions.
        return pipeline.run("region")

    @task(
        doc_md=(
            "Each channel's share of every region's revenue.\n\n"
            "**channel_mix** (DataFrame) — `examples.sales_by_region.pipeline.channel_mix`"
        ),
    )
    def channel_mix():
        # Reads online_revenue, store_revenue.
        pipeline.run("channel_mix")

    @task(
        map_index_template="{{ hamilflow_item }}",
        task_display_name="region_sales … region_summary (5 nodes)",
        doc_md=(
            "**region_sales** (DataFrame) — `examples.sales_by_region.pipeline.region_sales`\n\n"
            "The rows of one region.\n\n"
            "**region_trend.with_daily_revenue** (Series) — `examples.sales_by_region.pipeline.region_trend`\n\n"
            "Revenue per day, all stores and channels together.\n\n"
            "**region_trend.smoothed** (Series) — `examples.sales_by_region.pipeline.region_trend`\n\n"
            "The mean over the last `window` days (fewer at the start).\n\n"
            "**region_trend** (float) — `examples.sales_by_region.pipeline.region_trend`\n\n"
            "Change of the region's 7-day average revenue over the period, in percent.\n\n"
            "**region_summary** (dict) — `examples.sales_by_region.pipeline.region_summary`\n\n"
            "One line of the report: the region's stores, units, revenue, margin and trend."
        ),
    )
    def region_sales__to__region_summary(chunk):
        # Reads region (one item), sales.
        pipeline.run("region_sales__to__region_summary", chunk)

    @task(
        task_id="raw",
        task_group=regional_report_group,
        trigger_rule="none_failed",
        doc_md=(
            "The regions' summaries as one table, ranked by revenue, with each region's share.\n\n"
            "**regional_report.raw** (DataFrame) — `examples.sales_by_region.pipeline.regional_report`"
        ),
    )
    def regional_report_raw():
        # Reads region_summary (collected over region).
        pipeline.run("regional_report.raw")

    @task(
        task_id="with_ranked",
        task_group=regional_report_group,
        doc_md=(
            "Rows sorted by `by`, largest first, numbered from 1.\n\n"
            "**regional_report.with_ranked** (DataFrame) — `examples.sales_by_region.pipeline.regional_report`"
        ),
    )
    def regional_report_with_ranked():
        # Reads regional_report.raw.
        pipeline.run("regional_report.with_ranked")

    @task(
        task_id="with_revenue_share",
        task_group=regional_report_group,
        doc_md=(
            "Adds each row's share of total revenue.\n\n"
            "**regional_report.with_revenue_share** (DataFrame) — `examples.sales_by_region.pipeline.regional_report`"
        ),
    )
    def regional_report_with_revenue_share():
        # Reads regional_report.with_ranked.
        pipeline.run("regional_report.with_revenue_share")

    @task(
        task_group=regional_report_group,
        doc_md="**regional_report** (DataFrame) — `examples.sales_by_region.pipeline.regional_report`",
    )
    def regional_report():
        # Reads regional_report.with_revenue_share.
        pipeline.run("regional_report")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    sales_raw_task = sales_raw()
    sales_with_margin_task = sales_with_margin()
    sales_with_active_rows_task = sales_with_active_rows()
    sales_task = sales()
    calendar_task = calendar()
    channel_totals__0_task = channel_totals__0()
    channel_totals__1_task = channel_totals__1()
    regions_task = regions()
    period_task = period()
    online_revenue_task = online_revenue()
    store_revenue_task = store_revenue()
    region_chunks = region()
    channel_mix_task = channel_mix()
    region_sales__to__region_summary_task = region_sales__to__region_summary.expand(chunk=region_chunks)
    regional_report_raw_task = regional_report_raw()
    regional_report_with_ranked_task = regional_report_with_ranked()
    regional_report_with_revenue_share_task = regional_report_with_revenue_share()
    regional_report_task = regional_report()

    # Each task after the tasks whose results it reads.
    sales_raw_task >> sales_with_margin_task
    sales_with_margin_task >> sales_with_active_rows_task
    sales_with_active_rows_task >> sales_task
    sales_task >> calendar_task
    sales_task >> channel_totals__0_task
    sales_task >> channel_totals__1_task
    calendar_task >> regions_task
    calendar_task >> period_task
    channel_totals__0_task >> online_revenue_task
    channel_totals__1_task >> store_revenue_task
    regions_task >> region_chunks
    [online_revenue_task, store_revenue_task] >> channel_mix_task
    sales_task >> region_sales__to__region_summary_task
    region_sales__to__region_summary_task >> regional_report_raw_task
    regional_report_raw_task >> regional_report_with_ranked_task
    regional_report_with_ranked_task >> regional_report_with_revenue_share_task
    regional_report_with_revenue_share_task >> regional_report_task


sales_by_region_dag = sales_by_region()
