"""word_count

Count the words of a set of documents: the map-reduce of Hamilton's "Customizing Execution" page.

`url` fans out over the documents of a corpus; `url_loaded` and `counts` run once per
document; `total_words` collects the counts. The corpus ships with the example, so it
runs without a network.

Compiled by hamilflow: 3 tasks computing total_words.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""

# Compiled by hamilflow from examples.word_count.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Param, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "word_count",
    "modules": ["examples.word_count.pipeline"],
    "final_vars": ["total_words"],
    "fingerprint": "77c47b3935cb4ae8",
    "config": {},
    "grouping": "default",
    "store_url": None,
    "params": ["corpus"],
    "context_inputs": [],
    "chunking": {"url": {"items_per_task": 0}},
    "function_defaults": {"corpus": "classics"},
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
    params={"corpus": Param("classics", type="string", description="input of url (str)")},
    doc_md=__doc__,
)
def word_count():
    @task(doc_md="Every document of the corpus, as a file URL.\n\n**url** (str) — `examples.word_count.pipeline.url`")
    def url():
        # Reads corpus (param).
        return pipeline.run("url")

    @task(
        map_index_template="{{ hamilflow_item }}",
        task_display_name="url_loaded + counts",
        doc_md=(
            "**url_loaded** (str) — `examples.word_count.pipeline.url_loaded`\n\n"
            "The text behind one URL.\n\n"
            "**counts** (int) — `examples.word_count.pipeline.counts`\n\n"
            "How many words one document has."
        ),
    )
    def url_loaded__counts(chunk):
        # Reads url (one item).
        pipeline.run("url_loaded__counts", chunk)

    @task(
        trigger_rule="none_failed",
        doc_md="Words across the whole corpus.\n\n**total_words** (int) — `examples.word_count.pipeline.total_words`",
    )
    def total_words():
        # Reads counts (collected over url).
        pipeline.run("total_words")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    url_chunks = url()
    url_loaded__counts_task = url_loaded__counts.expand(chunk=url_chunks)
    total_words_task = total_words()

    # Each task after the tasks whose results it reads.
    url_loaded__counts_task >> total_words_task


word_count_dag = word_count()
