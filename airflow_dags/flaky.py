"""flaky

A pipeline with a flaky step: Airflow's retries turn a transient failure into a successful run.

`shard` fans out over a few shards; `fetched` stands for a call to an unreliable service
and fails on its first try for every shard (it leaves a marker file in `marker_dir` and
raises; the retry finds the marker and succeeds). Its `airflow_retries` tag makes the
compiled task retry. `total` collects the shards. Set `fail_first_try` to false for a
clean run: the outputs are the same.

Compiled by hamilflow: 3 tasks computing total. Values travel through the hamilflow artifact store; XCom carries only references and item chunks.
"""

# Compiled by hamilflow from examples.flaky.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>
# Outputs: total. Plan fingerprint: 0bb24aef126fb03b.
# hamilflow-compile: {"catchup": false, "config": {}, "dag_id": "flaky", "final_vars": ["total"], "grouping": "default", "modules": ["examples.flaky.pipeline"], "params": {}, "retries": 0, "schedule": null, "start_date": "2024-01-01", "store_url": null, "tags": ["hamilflow"]}

import datetime
from datetime import timedelta

from airflow.sdk import Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = '{"config": {}, "context_inputs": ["run_id"], "dag_id": "flaky", "final_vars": ["total"], "fingerprint": "0bb24aef126fb03b", "grouping": "default", "modules": ["examples.flaky.pipeline"], "params": ["shards", "marker_dir", "fail_first_try"], "store_url": null}'
pipeline = CompiledPipeline(SPEC)


@dag(
    dag_id='flaky',
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=['hamilflow'],
    default_args={'retries': 0},
    params={
        'shards': Param(3, type='integer', description='input of shard (int)'),
        'marker_dir': Param('/tmp/hamilflow-flaky', type='string', description='input of fetched (str)'),
        'fail_first_try': Param(True, type='boolean', description='input of fetched (bool)'),
    },
    doc_md=__doc__,
)
def flaky():
    @task(
        task_id='shard',
        doc_md=(
            'Each shard of the data set.\n\n'
            '**shard** (int) — `examples.flaky.pipeline.shard`'
        ),
    )
    def shard():
        return pipeline.run('shard')

    @task(
        task_id='fetched',
        map_index_template="{{ hamilflow_item }}",
        retries=2,
        retry_delay=timedelta(seconds=1),
        doc_md=(
            "One shard's rows from an unreliable service: the first try of each run and shard fails.\n\n"
            '**fetched** (list) — `examples.flaky.pipeline.fetched`'
        ),
    )
    def fetched(chunk):
        return pipeline.run('fetched', chunk)

    @task(
        task_id='total',
        trigger_rule='none_failed',
        doc_md=(
            'Rows and their sum, over every shard.\n\n'
            '**total** (dict) — `examples.flaky.pipeline.total`'
        ),
    )
    def total(fetched):
        return pipeline.run('total')

    shard_chunks = shard()
    fetched_out = fetched.expand(chunk=shard_chunks)
    total(fetched_out)


flaky_dag = flaky()
