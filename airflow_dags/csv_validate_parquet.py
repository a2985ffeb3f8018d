"""csv_validate_parquet

csv_validate_parquet

Load weather readings from CSV, validate them, and save a daily summary as Parquet.

`readings` is loaded by Hamilton's `@load_from.csv` from the file named by the
`readings_file` input; the function itself only cleans: it trims and lower-cases station
names, drops exact duplicates and rows without a temperature. The columns it checks are nodes
of their own, each with `@check_output`:

- `temperature_c` must be floats between -60 and 60 °C, without NaN (`importance="fail"`:
  a bad file stops the run before anything is saved);
- `humidity_pct` must lie between 0 and 100 (`importance="warn"`: the run logs and goes on).

`summary` aggregates the validated readings per station, and `@save_to.parquet` writes it to
`summary_file`; the saver is a node (`saved_summary`) whose value is what it wrote (path,
size, rows, columns). On Airflow the saver is a task of its own.

Compiled by hamilflow: 14 tasks computing saved_summary, summary, temperature_c_range_validator, humidity_pct_range_validator.
Values travel through the hamilflow artifact store; XCom carries only the chunks of items
that mapped tasks expand over.
"""  # noqa: E501

# Compiled by hamilflow from examples.csv_validate_parquet.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>

import datetime

from airflow.sdk import Param, TaskGroup, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = {
    "dag_id": "csv_validate_parquet",
    "modules": ["examples.csv_validate_parquet.pipeline"],
    "final_vars": ["saved_summary", "summary", "temperature_c_range_validator", "humidity_pct_range_validator"],
    "fingerprint": "4e961fe24be96411",
    "config": {},
    "grouping": "default",
    "store_url": None,
    "params": ["readings_file", "summary_file"],
    "context_inputs": [],
    "chunking": {},
    "compile_options": {
        "params": {
            "readings_file": "examples/csv_validate_parquet/readings.csv",
            "summary_file": "/tmp/hamilflow-weather-summary.parquet",
        },
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
        "readings_file": Param(
            "examples/csv_validate_parquet/readings.csv",
            description="input of readings.load_data.raw (str | pathlib.Path | _io.BytesIO | _io.BufferedReader)",
        ),
        "summary_file": Param(
            "/tmp/hamilflow-weather-summary.parquet",
            description="input of saved_summary (str | pathlib.Path | _io.BytesIO | _io.BufferedReader)",
        ),
    },
    doc_md=__doc__,
)
def csv_validate_parquet():
    readings_group = TaskGroup(group_id="readings")
    readings_load_data_group = TaskGroup(group_id="load_data", parent_group=readings_group)
    readings_select_data_group = TaskGroup(group_id="select_data", parent_group=readings_group)

    @task(
        task_id="raw",
        task_group=readings_load_data_group,
        doc_md=(
            "**readings.load_data.raw** (tuple[dict[str, Any], pandas.DataFrame]) — "
            "`examples.csv_validate_parquet.pipeline.readings`"
        ),
    )
    def readings_load_data_raw():
        # Reads readings_file (param).
        pipeline.run("readings.load_data.raw")

    @task(
        task_id="raw",
        task_group=readings_select_data_group,
        doc_md="**readings.select_data.raw** (DataFrame) — `examples.csv_validate_parquet.pipeline.readings`",
    )
    def readings_select_data_raw():
        # Reads readings.load_data.raw.
        pipeline.run("readings.select_data.raw")

    @task(
        task_group=readings_group,
        doc_md=(
            "The readings, cleaned: station names trimmed and lower-case, duplicates and empty temperatures gone.\n\n"
            "**readings** (DataFrame) — `examples.csv_validate_parquet.pipeline.readings`"
        ),
    )
    def readings():
        # Reads readings.select_data.raw.
        pipeline.run("readings")

    @task(
        doc_md=(
            "Temperatures in °C: a bad value stops the run.\n\n"
            "**temperature_c_raw** (Series) — `examples.csv_validate_parquet.pipeline.temperature_c`"
        ),
    )
    def temperature_c_raw():
        # Reads readings.
        pipeline.run("temperature_c_raw")

    @task(
        doc_md=(
            "Relative humidity in percent (may be missing): an odd value is only reported.\n\n"
            "**humidity_pct_raw** (Series) — `examples.csv_validate_parquet.pipeline.humidity_pct`"
        ),
    )
    def humidity_pct_raw():
        # Reads readings.
        pipeline.run("humidity_pct_raw")

    @task(
        doc_md=(
            "Validates that the datatype of the pandas series is a subclass of: <class 'float'>\n\n"
            "**temperature_c_data_type_validator** (ValidationResult) — "
            "`examples.csv_validate_parquet.pipeline.temperature_c`"
        ),
    )
    def temperature_c_data_type_validator():
        # Reads temperature_c_raw.
        pipeline.run("temperature_c_data_type_validator")

    @task(
        doc_md=(
            "Validates that the datapoint falls within the range (-60.0, 60.0)\n\n"
            "**temperature_c_range_validator** (ValidationResult) — "
            "`examples.csv_validate_parquet.pipeline.temperature_c`"
        ),
    )
    def temperature_c_range_validator():
        # Reads temperature_c_raw.
        pipeline.run("temperature_c_range_validator")

    @task(
        doc_md=(
            "Validates that no more than 0.00% of the data is Nan.\n\n"
            "**temperature_c_allow_nans_validator** (ValidationResult) — "
            "`examples.csv_validate_parquet.pipeline.temperature_c`"
        ),
    )
    def temperature_c_allow_nans_validator():
        # Reads temperature_c_raw.
        pipeline.run("temperature_c_allow_nans_validator")

    @task(
        doc_md=(
            "Validates that the datapoint falls within the range (0.0, 100.0)\n\n"
            "**humidity_pct_range_validator** (ValidationResult) — "
            "`examples.csv_validate_parquet.pipeline.humidity_pct`"
        ),
    )
    def humidity_pct_range_validator():
        # Reads humidity_pct_raw.
        pipeline.run("humidity_pct_range_validator")

    @task(
        doc_md=(
            "Temperatures in °C: a bad value stops the run.\n\n"
            "**temperature_c** (Series) — `examples.csv_validate_parquet.pipeline.temperature_c`"
        ),
    )
    def temperature_c():
        # Reads temperature_c_raw, temperature_c_data_type_validator, temperature_c_range_validator,
        # temperature_c_allow_nans_validator.
        pipeline.run("temperature_c")

    @task(
        doc_md=(
            "Relative humidity in percent (may be missing): an odd value is only reported.\n\n"
            "**humidity_pct** (Series) — `examples.csv_validate_parquet.pipeline.humidity_pct`"
        ),
    )
    def humidity_pct():
        # Reads humidity_pct_raw, humidity_pct_range_validator.
        pipeline.run("humidity_pct")

    @task(
        doc_md=(
            "The readings with their checked columns.\n\n"
            "**validated** (DataFrame) — `examples.csv_validate_parquet.pipeline.validated`"
        ),
    )
    def validated():
        # Reads readings, temperature_c, humidity_pct.
        pipeline.run("validated")

    @task(
        doc_md=(
            "Per station: days reported, mean, min and max temperature, mean humidity.\n\n"
            "**summary** (DataFrame) — `examples.csv_validate_parquet.pipeline.summary`"
        ),
    )
    def summary():
        # Reads validated.
        pipeline.run("summary")

    @task(doc_md="**saved_summary** (dict[str, Any]) — `examples.csv_validate_parquet.pipeline.summary`")
    def saved_summary():
        # Reads summary, summary_file (param).
        pipeline.run("saved_summary")

    # Each task, called once: a mapped task runs once per chunk of its block's items.
    readings_load_data_raw_task = readings_load_data_raw()
    readings_select_data_raw_task = readings_select_data_raw()
    readings_task = readings()
    temperature_c_raw_task = temperature_c_raw()
    humidity_pct_raw_task = humidity_pct_raw()
    temperature_c_data_type_validator_task = temperature_c_data_type_validator()
    temperature_c_range_validator_task = temperature_c_range_validator()
    temperature_c_allow_nans_validator_task = temperature_c_allow_nans_validator()
    humidity_pct_range_validator_task = humidity_pct_range_validator()
    temperature_c_task = temperature_c()
    humidity_pct_task = humidity_pct()
    validated_task = validated()
    summary_task = summary()
    saved_summary_task = saved_summary()

    # Each task after the tasks whose results it reads.
    readings_load_data_raw_task >> readings_select_data_raw_task
    readings_select_data_raw_task >> readings_task
    readings_task >> temperature_c_raw_task
    readings_task >> humidity_pct_raw_task
    temperature_c_raw_task >> temperature_c_data_type_validator_task
    temperature_c_raw_task >> temperature_c_range_validator_task
    temperature_c_raw_task >> temperature_c_allow_nans_validator_task
    humidity_pct_raw_task >> humidity_pct_range_validator_task
    [
        temperature_c_raw_task,
        temperature_c_data_type_validator_task,
        temperature_c_range_validator_task,
        temperature_c_allow_nans_validator_task,
    ] >> temperature_c_task
    [humidity_pct_raw_task, humidity_pct_range_validator_task] >> humidity_pct_task
    [readings_task, temperature_c_task, humidity_pct_task] >> validated_task
    validated_task >> summary_task
    summary_task >> saved_summary_task


csv_validate_parquet_dag = csv_validate_parquet()
