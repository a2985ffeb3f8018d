"""features

Daily user features from an event log, computed for one data interval.

`data_interval_start` comes from the Airflow run, so a backfill over past dates
computes each day's features from that day's events. The events are generated
deterministically from the date, standing in for a warehouse query.

Compiled by hamilflow: 5 tasks computing features.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""

# Compiled by hamilflow from examples.features.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "features",
    "modules": ["examples.features.pipeline"],
    "final_vars": ["features"],
    "fingerprint": "b64b7bdf5c024afc",
    "config": {},
    "grouping": "default",
    "store_url": None,
    "params": ["events_per_day"],
    "context_inputs": ["data_interval_start"],
    "chunking": {},
    "function_defaults": {"events_per_day": 40},
    "compile_options": {
        "params": {},
        "schedule": "@daily",
        "start_date": "2024-01-01",
        "catchup": False,
        "retries": None,
        "items_per_task": None,
        "tags": ["hamilflow"],
    },
}
pipeline = CompiledPipeline(SPEC)


@dag(
    schedule="@daily",
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["hamilflow"],
    params={"events_per_day": Param(40, type="integer", description="input of events (int)")},
    doc_md=__doc__,
)
def features():
    @task(
        doc_md=(
            "The day's raw events (user, amount), seeded by the date so reruns agree.\n\n"
            "**events** (DataFrame) — `examples.features.pipeline.events`"
        ),
    )
    def events():
        # Reads data_interval_start (Airflow context), events_per_day (param).
        pipeline.run("events")

    @task(doc_md="Total spend per user for the day.\n\n**spend** (Series) — `examples.features.pipeline.spend`")
    def spend():
        # Reads events.
        pipeline.run("spend")

    @task(doc_md="Number of events per user for the day.\n\n**visits** (Series) — `examples.features.pipeline.visits`")
    def visits():
        # Reads events.
        pipeline.run("visits")

    @task(
        doc_md=(
            "Mean amount per event, 0 for users who did not show up.\n\n"
            "**average_spend** (Series) — `examples.features.pipeline.average_spend`"
        ),
    )
    def average_spend():
        # Reads spend, visits.
        pipeline.run("average_spend")

    @task(
        task_id="features",
        doc_md=(
            "One row per user: the feature table of the day.\n\n"
            "**features** (DataFrame) — `examples.features.pipeline.features`"
        ),
    )
    def features_task():
        # Reads spend, visits, average_spend, events.
        pipeline.run("features")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    events_task = events()
    spend_task = spend()
    visits_task = visits()
    average_spend_task = average_spend()
    features_task_task = features_task()

    # Each task after the tasks whose results it reads.
    events_task >> spend_task
    events_task >> visits_task
    [spend_task, visits_task] >> average_spend_task
    [spend_task, visits_task, average_spend_task, events_task] >> features_task_task


features_dag = features()
