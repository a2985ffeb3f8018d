"""flaky

A pipeline with a flaky step: Airflow's retries turn a transient failure into a successful run.

`shard` fans out over a few shards; `fetched` stands for a call to an unreliable service
and fails on its first try for every shard (it leaves a marker file in `marker_dir` and
raises; the retry finds the marker and succeeds). Its `airflow_retries` tag makes the
compiled task retry. `total` collects the shards. Set `fail_first_try` to false for a
clean run: the outputs are the same.

Compiled by hamilflow: 3 tasks computing total.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""

# Compiled by hamilflow from examples.flaky.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "flaky",
    "modules": ["examples.flaky.pipeline"],
    "final_vars": ["total"],
    "fingerprint": "3aa2d74dac83eb3c",
    "config": {},
    "grouping": "default",
    "store_url": None,
    "params": ["shards", "marker_dir", "fail_first_try"],
    "context_inputs": ["run_id"],
    "chunking": {"shard": {"items_per_task": 0}},
    "function_defaults": {"shards": 3, "marker_dir": "/tmp/hamilflow-flaky", "fail_first_try": True},
    "compile_options": {
        "params": {},
        "schedule": None,
        "start_date": "2024-01-01",
        "catchup": False,
        "retries": 0,
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
    default_args={"retries": 0},
    params={
        "shards": Param(3, type="integer", description="input of shard (int)"),
        "marker_dir": Param("/tmp/hamilflow-flaky", type="string", description="input of fetched (str)"),
        "fail_first_try": Param(True, type="boolean", description="input of fetched (bool)"),
    },
    doc_md=__doc__,
)
def flaky():
    @task(doc_md="Each shard of the data set.\n\n**shard** (int) — `examples.flaky.pipeline.shard`")
    def shard():
        # Reads shards (param).
        return pipeline.run("shard")

    @task(
        map_index_template="{{ hamilflow_item }}",
        retries=2,
        retry_delay=datetime.timedelta(seconds=1),
        doc_md=(
            "One shard's rows from an unreliable service: the first try of each run and shard fails.\n\n"
            "**fetched** (list) — `examples.flaky.pipeline.fetched`"
        ),
    )
    def fetched(chunk):
        # Reads shard (one item), run_id (Airflow context), marker_dir (param), fail_first_try (param).
        pipeline.run("fetched", chunk)

    @task(
        trigger_rule="none_failed",
        doc_md="Rows and their sum, over every shard.\n\n**total** (dict) — `examples.flaky.pipeline.total`",
    )
    def total():
        # Reads fetched (collected over shard).
        pipeline.run("total")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    shard_chunks = shard()
    fetched_task = fetched.expand(chunk=shard_chunks)
    total_task = total()

    # Each task after the tasks whose results it reads.
    fetched_task >> total_task


flaky_dag = flaky()
