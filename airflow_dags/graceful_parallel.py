"""graceful_parallel

graceful_parallel

Fetch a forecast per city in parallel, and keep going when some cities fail.

`city` fans out over the cities named in `cities` (a comma-separated list). `forecast`
stands for a call to a weather service: it raises `ForecastUnavailable` for the cities named
in `unavailable`. `warmest_hour` and `summary_line` follow each forecast inside the block, and
`report` collects the lines.

Run alone, the first unavailable city fails the run. Run with Hamilton's
`GracefulErrorAdapter` (`graceful_errors()` below), a `ForecastUnavailable` is caught: the
failed node yields `None`, the nodes after it in that item are skipped and yield `None` too,
and the collector receives `None` for that city while every other city goes through.
`report` lists both, so the run tells which cities are missing.

    from hamilton import driver   # or: from hamilflow import driver
    dr = (driver.Builder().with_modules(pipeline).with_adapters(*pipeline.graceful_errors())
          .enable_dynamic_execution(allow_experimental_mode=True).build())
    dr.execute(["report"], inputs={"cities": "oslo,rome,atlantis", "unavailable": "atlantis"})

On Airflow the DAG is compiled with `--adapter examples.graceful_parallel.pipeline:graceful_errors`,
so each task runs with the adapter: a failed city is a successful mapped instance whose value
is `None`, and the DAG run succeeds.

Compiled by hamilflow: 3 tasks computing report.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""

# Compiled by hamilflow from examples.graceful_parallel.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "graceful_parallel",
    "modules": ["examples.graceful_parallel.pipeline"],
    "final_vars": ["report"],
    "fingerprint": "c6681fe7c1abe0ce",
    "config": {},
    "grouping": "default",
    "store_url": None,
    "params": ["cities", "unavailable"],
    "context_inputs": [],
    "chunking": {"city": {"items_per_task": 0}},
    "adapters": ["examples.graceful_parallel.pipeline:graceful_errors"],
    "function_defaults": {"cities": "oslo,rome,lima,atlantis,cairo,el dorado", "unavailable": "atlantis,el dorado"},
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
    params={
        "cities": Param("oslo,rome,lima,atlantis,cairo,el dorado", type="string", description="input of city (str)"),
        "unavailable": Param("atlantis,el dorado", type="string", description="input of forecast (str)"),
    },
    doc_md=__doc__,
)
def graceful_parallel():
    @task(
        doc_md="Each city of the comma-separated list.\n\n**city** (str) — `examples.graceful_parallel.pipeline.city`",
    )
    def city():
        # Reads cities (param).
        return pipeline.run("city")

    @task(
        map_index_template="{{ hamilflow_item }}",
        task_display_name="forecast + warmest_hour + summary_line",
        doc_md=(
            "**forecast** (dict) — `examples.graceful_parallel.pipeline.forecast`\n\n"
            "Hourly temperatures for one city, from a (made-up, deterministic) weather service.\n\n"
            "**warmest_hour** (int) — `examples.graceful_parallel.pipeline.warmest_hour`\n\n"
            "The hour of the day with the highest temperature (the first one on a tie).\n\n"
            "**summary_line** (str) — `examples.graceful_parallel.pipeline.summary_line`\n\n"
            "One line per city."
        ),
    )
    def forecast__warmest_hour__summary_line(chunk):
        # Reads city (one item), unavailable (param).
        pipeline.run("forecast__warmest_hour__summary_line", chunk)

    @task(
        trigger_rule="none_failed",
        doc_md=(
            "The lines of the cities that have a forecast, and how many have none.\n\n"
            "**report** (dict) — `examples.graceful_parallel.pipeline.report`"
        ),
    )
    def report():
        # Reads summary_line (collected over city).
        pipeline.run("report")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    city_chunks = city()
    forecast__warmest_hour__summary_line_task = forecast__warmest_hour__summary_line.expand(chunk=city_chunks)
    report_task = report()

    # Each task after the tasks whose results it reads.
    forecast__warmest_hour__summary_line_task >> report_task


graceful_parallel_dag = graceful_parallel()
