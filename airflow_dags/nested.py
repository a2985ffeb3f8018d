"""nested

Two levels of Parallelizable: regions fan out to stores, each store's sales are summed.

For every region, `store` fans out again; `region_total` collects that region's stores
inside the outer block, and `report` collects the regions. Airflow has no nested
mapping: hamilflow flattens the inner block into one mapped task over (region, store).

Compiled by hamilflow: 5 tasks computing report. Values travel through the hamilflow artifact store; XCom carries only references and item chunks.
"""

# Compiled by hamilflow from examples.nested.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>
# Outputs: report. Plan fingerprint: edc16414b2e3c1c1.
# hamilflow-compile: {"catchup": false, "config": {}, "dag_id": "nested", "final_vars": ["report"], "grouping": "default", "modules": ["examples.nested.pipeline"], "params": {}, "retries": null, "schedule": null, "start_date": "2024-01-01", "store_url": null, "tags": ["hamilflow"]}

import datetime

from airflow.sdk import Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = '{"config": {}, "context_inputs": [], "dag_id": "nested", "final_vars": ["report"], "fingerprint": "edc16414b2e3c1c1", "grouping": "default", "modules": ["examples.nested.pipeline"], "params": ["regions"], "store_url": null}'
pipeline = CompiledPipeline(SPEC)


@dag(
    dag_id='nested',
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=['hamilflow'],
    params={
        'regions': Param(['north', 'south', 'east'], type='array', description='input of region (list)'),
    },
    doc_md=__doc__,
)
def nested():
    @task(
        task_id='region',
        doc_md=(
            'Each sales region.\n\n'
            '**region** (str) — `examples.nested.pipeline.region`'
        ),
    )
    def region():
        return pipeline.run('region')

    @task(
        task_id='store',
        map_index_template="{{ hamilflow_item }}",
        doc_md=(
            'Each store of one region (a region may have none).\n\n'
            '**store** (str) — `examples.nested.pipeline.store`'
        ),
    )
    def store(chunk):
        return pipeline.run('store', chunk)

    @task(
        task_id='store_items',
        trigger_rule='none_failed',
        doc_md="Lists the items of block 'store' for the tasks mapped over it.",
    )
    def store_items(store):
        return pipeline.items('store')

    @task(
        task_id='store_sales',
        map_index_template="{{ hamilflow_item }}",
        doc_md=(
            "A store's sales, derived from its name so runs agree.\n\n"
            '**store_sales** (float) — `examples.nested.pipeline.store_sales`'
        ),
    )
    def store_sales(chunk):
        return pipeline.run('store_sales', chunk)

    @task(
        task_id='region_total__region_line',
        map_index_template="{{ hamilflow_item }}",
        trigger_rule='none_failed',
        doc_md=(
            '**region_total** (float) — `examples.nested.pipeline.region_total`\n\n'
            'Sales of one region: the collected stores.\n\n'
            '**region_line** (str) — `examples.nested.pipeline.region_line`\n\n'
            'A report line for the region.'
        ),
    )
    def region_total__region_line(chunk):
        return pipeline.run('region_total__region_line', chunk)

    @task(
        task_id='report',
        trigger_rule='none_failed',
        doc_md=(
            "All regions' lines and the grand total.\n\n"
            '**report** (dict) — `examples.nested.pipeline.report`'
        ),
    )
    def report(region_total__region_line):
        return pipeline.run('report')

    region_chunks = region()
    store_out = store.expand(chunk=region_chunks)
    store_items_chunks = store_items(store_out)
    store_sales_out = store_sales.expand(chunk=store_items_chunks)
    region_chunks >> store_sales_out
    region_total__region_line_out = region_total__region_line.expand(chunk=region_chunks)
    store_sales_out >> region_total__region_line_out
    report(region_total__region_line_out)


nested_dag = nested()
