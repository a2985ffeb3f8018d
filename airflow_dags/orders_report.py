"""orders_report

Revenue to date, from every day the `daily_orders` DAG published to the warehouse.

Scheduled on the Asset `file:///tmp/hamilflow-warehouse/daily_orders` (in pyproject.toml:
`schedule = ["file:///tmp/hamilflow-warehouse/daily_orders"]`): Airflow runs it after each
successful publication, with no time schedule of its own.

Compiled by hamilflow: 3 tasks computing report.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""

# Compiled by hamilflow from examples.orders_report.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Asset, Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "orders_report",
    "modules": ["examples.orders_report.pipeline"],
    "final_vars": ["report"],
    "fingerprint": "41ea9655d2341714",
    "config": {},
    "grouping": "default",
    "store_url": None,
    "params": ["warehouse"],
    "context_inputs": [],
    "chunking": {},
    "function_defaults": {"warehouse": "/tmp/hamilflow-warehouse"},
    "compile_options": {
        "params": {},
        "schedule": ["file:///tmp/hamilflow-warehouse/daily_orders"],
        "start_date": "2024-01-01",
        "catchup": False,
        "retries": None,
        "items_per_task": None,
        "tags": ["hamilflow", "orders"],
        "description": "Revenue to date, after each publication of daily_orders",
        "default_args": {"owner": "orders-team"},
    },
}
pipeline = CompiledPipeline(SPEC)


@dag(
    schedule=[Asset("file:///tmp/hamilflow-warehouse/daily_orders")],
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["hamilflow", "orders"],
    description="Revenue to date, after each publication of daily_orders",
    default_args={"owner": "orders-team"},
    params={"warehouse": Param("/tmp/hamilflow-warehouse", type="string", description="input of daily_files (str)")},
    doc_md=__doc__,
)
def orders_report():
    @task(
        doc_md=(
            "The published days, oldest first.\n\n"
            "**daily_files** (list[str]) — `examples.orders_report.pipeline.daily_files`"
        ),
    )
    def daily_files():
        # Reads warehouse (param).
        pipeline.run("daily_files")

    @task(
        doc_md=(
            "Revenue per product over every published day.\n\n"
            "**revenue_to_date** (dict[str, float]) — `examples.orders_report.pipeline.revenue_to_date`"
        ),
    )
    def revenue_to_date():
        # Reads daily_files.
        pipeline.run("revenue_to_date")

    @task(
        doc_md=(
            "One line per product, over the days published so far.\n\n"
            "**report** (str) — `examples.orders_report.pipeline.report`"
        ),
    )
    def report():
        # Reads revenue_to_date, daily_files.
        pipeline.run("report")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    daily_files_task = daily_files()
    revenue_to_date_task = revenue_to_date()
    report_task = report()

    # Each task after the tasks whose results it reads.
    daily_files_task >> revenue_to_date_task
    [revenue_to_date_task, daily_files_task] >> report_task


orders_report_dag = orders_report()
