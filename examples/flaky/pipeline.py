"""A pipeline with a flaky step: Airflow's retries turn a transient failure into a successful run.

`shard` fans out over a few shards; `fetched` stands for a call to an unreliable service
and fails on its first try for every shard (it leaves a marker file in `marker_dir` and
raises; the retry finds the marker and succeeds). Its `airflow_retries` tag makes the
compiled task retry. `total` collects the shards. Set `fail_first_try` to false for a
clean run: the outputs are the same.
"""

from pathlib import Path
from urllib.parse import quote

from hamilflow.function_modifiers import tag
from hamilflow.htypes import Collect, Parallelizable


def shard(shards: int = 3) -> Parallelizable[int]:
    """Each shard of the data set."""
    yield from range(shards)


@tag(airflow_retries="2", airflow_retry_delay="1")
def fetched(shard: int, run_id: str, marker_dir: str = "/tmp/hamilflow-flaky", fail_first_try: bool = True) -> list:
    """One shard's rows from an unreliable service: the first try of each run and shard fails."""
    marker = Path(marker_dir) / f"{quote(str(run_id), safe='')}.shard{shard}.tried"
    if fail_first_try and not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        raise ConnectionError(f"shard {shard}: service unavailable (first try; the task retries)")
    return [shard * 10 + i for i in range(shard + 2)]


def total(fetched: Collect[list]) -> dict:
    """Rows and their sum, over every shard."""
    rows = [row for part in fetched for row in part]
    return {"rows": len(rows), "sum": sum(rows)}
