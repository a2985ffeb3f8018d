"""features

Daily user features from an event log, computed for one data interval.

`data_interval_start` comes from the Airflow run, so a backfill over past dates
computes each day's features from that day's events. The events are generated
deterministically from the date, standing in for a warehouse query.

Compiled by hamilflow: 5 tasks computing features. Values travel through the hamilflow artifact store; XCom carries only references and item chunks.
"""

# Compiled by hamilflow from examples.features.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>
# Outputs: features. Plan fingerprint: 0092fb6df0b57ec5.
# hamilflow-compile: {"catchup": false, "config": {}, "dag_id": "features", "final_vars": ["features"], "grouping": "default", "modules": ["examples.features.pipeline"], "params": {}, "retries": null, "schedule": "@daily", "start_date": "2024-01-01", "store_url": null, "tags": ["hamilflow"]}

import datetime

from airflow.sdk import Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = '{"config": {}, "context_inputs": ["data_interval_start"], "dag_id": "features", "final_vars": ["features"], "fingerprint": "0092fb6df0b57ec5", "grouping": "default", "modules": ["examples.features.pipeline"], "params": ["events_per_day"], "store_url": null}'
pipeline = CompiledPipeline(SPEC)


@dag(
    dag_id='features',
    schedule='@daily',
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=['hamilflow'],
    params={
        'events_per_day': Param(40, type='integer', description='input of events (int)'),
    },
    doc_md=__doc__,
)
def features():
    @task(
        task_id='events',
        doc_md=(
            "The day's raw events (user, amount), seeded by the date so reruns agree.\n\n"
            '**events** (DataFrame) — `examples.features.pipeline.events`'
        ),
    )
    def events():
        return pipeline.run('events')

    @task(
        task_id='spend',
        doc_md=(
            'Total spend per user for the day.\n\n'
            '**spend** (Series) — `examples.features.pipeline.spend`'
        ),
    )
    def spend(events):
        return pipeline.run('spend')

    @task(
        task_id='visits',
        doc_md=(
            'Number of events per user for the day.\n\n'
            '**visits** (Series) — `examples.features.pipeline.visits`'
        ),
    )
    def visits(events):
        return pipeline.run('visits')

    @task(
        task_id='average_spend',
        doc_md=(
            'Mean amount per event, 0 for users who did not show up.\n\n'
            '**average_spend** (Series) — `examples.features.pipeline.average_spend`'
        ),
    )
    def average_spend(spend, visits):
        return pipeline.run('average_spend')

    @task(
        task_id='features',
        doc_md=(
            'One row per user: the feature table of the day.\n\n'
            '**features** (DataFrame) — `examples.features.pipeline.features`'
        ),
    )
    def features_task(spend, visits, average_spend, events):
        return pipeline.run('features')

    events_out = events()
    spend_out = spend(events_out)
    visits_out = visits(events_out)
    average_spend_out = average_spend(spend_out, visits_out)
    features_task(spend_out, visits_out, average_spend_out, events_out)


features_dag = features()
