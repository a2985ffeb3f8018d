"""nested

Two levels of Parallelizable: regions fan out to stores, each store's sales are summed.

For every region, `store` fans out again; `region_total` collects that region's stores
inside the outer block, and `report` collects the regions. Airflow has no nested
mapping: hamilflow flattens the inner block into one mapped task over (region, store).

Compiled by hamilflow: 5 tasks computing report.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""

# Compiled by hamilflow from examples.nested.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "nested",
    "modules": ["examples.nested.pipeline"],
    "final_vars": ["report"],
    "fingerprint": "27f392928edfcaa3",
    "config": {},
    "grouping": "default",
    "store_url": None,
    "params": ["regions"],
    "context_inputs": [],
    "chunking": {"region": {"items_per_task": 0}, "store": {"items_per_task": 0}},
    "function_defaults": {"regions": ["north", "south", "east"]},
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
    params={"regions": Param(["north", "south", "east"], type="array", description="input of region (list)")},
    doc_md=__doc__,
)
def nested():
    @task(doc_md="Each sales region.\n\n**region** (str) — `examples.nested.pipeline.region`")
    def region():
        # Reads regions (param).
        return pipeline.run("region")

    @task(
        map_index_template="{{ hamilflow_item }}",
        doc_md=(
            "Each store of one region (a region may have none).\n\n**store** (str) — `examples.nested.pipeline.store`"
        ),
    )
    def store(chunk):
        # Reads region (one item).
        pipeline.run("store", chunk)

    @task(trigger_rule="none_failed", doc_md="Lists the items of block 'store' for the tasks mapped over it.")
    def store_items():
        return pipeline.items("store")

    @task(
        map_index_template="{{ hamilflow_item }}",
        doc_md=(
            "A store's sales, derived from its name so runs agree.\n\n"
            "**store_sales** (float) — `examples.nested.pipeline.store_sales`"
        ),
    )
    def store_sales(chunk):
        # Reads store (one item), region (one item).
        pipeline.run("store_sales", chunk)

    @task(
        map_index_template="{{ hamilflow_item }}",
        trigger_rule="none_failed",
        task_display_name="region_total + region_line",
        doc_md=(
            "**region_total** (float) — `examples.nested.pipeline.region_total`\n\n"
            "Sales of one region: the collected stores.\n\n"
            "**region_line** (str) — `examples.nested.pipeline.region_line`\n\n"
            "A report line for the region."
        ),
    )
    def region_total__region_line(chunk):
        # Reads store_sales (collected over store), region (one item).
        pipeline.run("region_total__region_line", chunk)

    @task(
        trigger_rule="none_failed",
        doc_md="All regions' lines and the grand total.\n\n**report** (dict) — `examples.nested.pipeline.report`",
    )
    def report():
        # Reads region_line (collected over region), region_total (collected over region).
        pipeline.run("report")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    region_chunks = region()
    store_task = store.expand(chunk=region_chunks)
    store_items_chunks = store_items()
    store_sales_task = store_sales.expand(chunk=store_items_chunks)
    region_total__region_line_task = region_total__region_line.expand(chunk=region_chunks)
    report_task = report()

    # Each task after the tasks whose results it reads.
    store_task >> store_items_chunks
    region_chunks >> store_sales_task
    store_sales_task >> region_total__region_line_task
    region_total__region_line_task >> report_task


nested_dag = nested()
