"""config.when variants that also carry tags: the chosen variant's tags are the node's tags."""

from hamilton.function_modifiers import config, tag

OUTPUTS = ["loader"]
CONFIG = {"source": "csv"}
AIRFLOW = True


@tag(owner="ingest", format="csv")
@config.when(source="csv")
def loader__csv() -> list:
    return ["a", "b"]


@tag(owner="ingest", format="parquet")
@config.when(source="parquet")
def loader__parquet() -> list:
    return ["p"]
