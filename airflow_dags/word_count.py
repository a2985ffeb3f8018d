"""word_count

Count the words of a set of documents: the map-reduce of Hamilton's "Customizing Execution" page.

`url` fans out over the documents of a corpus; `url_loaded` and `counts` run once per
document; `total_words` collects the counts. The corpus ships with the example, so it
runs without a network.

Compiled by hamilflow: 3 tasks computing total_words. Values travel through the hamilflow artifact store; XCom carries only references and item chunks.
"""

# Compiled by hamilflow from examples.word_count.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>
# Outputs: total_words. Plan fingerprint: 50a7af9d5777227d.
# hamilflow-compile: {"catchup": false, "config": {}, "dag_id": "word_count", "final_vars": ["total_words"], "grouping": "default", "modules": ["examples.word_count.pipeline"], "params": {}, "retries": null, "schedule": null, "start_date": "2024-01-01", "store_url": null, "tags": ["hamilflow"]}

import datetime

from airflow.sdk import Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = '{"config": {}, "context_inputs": [], "dag_id": "word_count", "final_vars": ["total_words"], "fingerprint": "50a7af9d5777227d", "grouping": "default", "modules": ["examples.word_count.pipeline"], "params": ["corpus"], "store_url": null}'
pipeline = CompiledPipeline(SPEC)


@dag(
    dag_id='word_count',
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=['hamilflow'],
    params={
        'corpus': Param('classics', type='string', description='input of url (str)'),
    },
    doc_md=__doc__,
)
def word_count():
    @task(
        task_id='url',
        doc_md=(
            'Every document of the corpus, as a file URL.\n\n'
            '**url** (str) — `examples.word_count.pipeline.url`'
        ),
    )
    def url():
        return pipeline.run('url')

    @task(
        task_id='url_loaded__counts',
        map_index_template="{{ hamilflow_item }}",
        doc_md=(
            '**url_loaded** (str) — `examples.word_count.pipeline.url_loaded`\n\n'
            'The text behind one URL.\n\n'
            '**counts** (int) — `examples.word_count.pipeline.counts`\n\n'
            'How many words one document has.'
        ),
    )
    def url_loaded__counts(chunk):
        return pipeline.run('url_loaded__counts', chunk)

    @task(
        task_id='total_words',
        trigger_rule='none_failed',
        doc_md=(
            'Words across the whole corpus.\n\n'
            '**total_words** (int) — `examples.word_count.pipeline.total_words`'
        ),
    )
    def total_words(url_loaded__counts):
        return pipeline.run('total_words')

    url_chunks = url()
    url_loaded__counts_out = url_loaded__counts.expand(chunk=url_chunks)
    total_words(url_loaded__counts_out)


word_count_dag = word_count()
