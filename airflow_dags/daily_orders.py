"""daily_orders

The day's orders, summed per product and published to the warehouse: an Airflow Asset.

`data_interval_start` comes from the Airflow run, so each day's run publishes that day's
file, `<warehouse>/daily_orders/<day>.json`. The task that writes it declares the Asset
`file:///tmp/hamilflow-warehouse/daily_orders` (`@tag(airflow_asset=...)`), so Airflow
records an asset event when it succeeds, and the `orders_report` DAG, scheduled on that
Asset, runs after each publication. The orders are generated from the date, standing in
for a query.

Compiled by hamilflow: 3 tasks computing published.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""

# Compiled by hamilflow from examples.daily_orders.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Asset, Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "daily_orders",
    "modules": ["examples.daily_orders.pipeline"],
    "final_vars": ["published"],
    "fingerprint": "139400e9fc8f4a21",
    "config": {},
    "grouping": "default",
    "store_url": None,
    "params": ["orders_per_day", "warehouse"],
    "context_inputs": ["data_interval_start"],
    "chunking": {},
    "function_defaults": {"orders_per_day": 30, "warehouse": "/tmp/hamilflow-warehouse"},
    "compile_options": {
        "params": {},
        "schedule": "@daily",
        "start_date": "2024-01-01",
        "catchup": False,
        "retries": None,
        "items_per_task": None,
        "tags": ["hamilflow", "orders"],
        "description": "The day's orders per product, published to the warehouse (an Asset)",
        "max_active_runs": 1,
        "dagrun_timeout": "1h",
        "default_args": {"owner": "orders-team", "retries": 1, "retry_delay": "30s"},
    },
}
pipeline = CompiledPipeline(SPEC)


@dag(
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["hamilflow", "orders"],
    description="The day's orders per product, published to the warehouse (an Asset)",
    max_active_runs=1,
    dagrun_timeout=datetime.timedelta(seconds=3600),
    default_args={"owner": "orders-team", "retries": 1, "retry_delay": datetime.timedelta(seconds=30)},
    params={
        "orders_per_day": Param(30, type="integer", description="input of orders (int)"),
        "warehouse": Param("/tmp/hamilflow-warehouse", type="string", description="input of published (str)"),
    },
    doc_md=__doc__,
)
def daily_orders():
    @task(
        doc_md=(
            "The day's orders (product, amount), seeded by the date so reruns agree.\n\n"
            "**orders** (list[dict]) — `examples.daily_orders.pipeline.orders`"
        ),
    )
    def orders():
        # Reads data_interval_start (Airflow context), orders_per_day (param).
        pipeline.run("orders")

    @task(
        doc_md=(
            "Revenue of the day per product.\n\n"
            "**revenue_by_product** (dict[str, float]) — `examples.daily_orders.pipeline.revenue_by_product`"
        ),
    )
    def revenue_by_product():
        # Reads orders.
        pipeline.run("revenue_by_product")

    @task(
        outlets=[Asset("file:///tmp/hamilflow-warehouse/daily_orders")],
        doc_md=(
            "The day's revenue, written to the warehouse as `daily_orders/<day>.json`; returns the file's path.\n\n"
            "**published** (str) — `examples.daily_orders.pipeline.published`"
        ),
    )
    def published():
        # Reads revenue_by_product, data_interval_start (Airflow context), warehouse (param).
        pipeline.run("published")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    orders_task = orders()
    revenue_by_product_task = revenue_by_product()
    published_task = published()

    # Each task after the tasks whose results it reads.
    orders_task >> revenue_by_product_task
    revenue_by_product_task >> published_task


daily_orders_dag = daily_orders()
