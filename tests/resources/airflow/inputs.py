"""External inputs: typed DAG params with defaults, and values from the Airflow task context."""

import datetime


def settings(
    name: str = "world",
    times: int = 2,
    ratio: float = 0.5,
    loud: bool = False,
    words: list = ["a", "b"],  # noqa: B006
    limit: int | None = None,
) -> dict:
    """Every param, as the task received it."""
    return {"name": name, "times": times, "ratio": ratio, "loud": loud, "words": words, "limit": limit}


def when(logical_date: datetime.datetime, data_interval_start: datetime.datetime, ds: str, run_id: str) -> dict:
    """The run's dates, from the Airflow context."""
    return {
        "logical_date": logical_date.isoformat(),
        "data_interval_start": data_interval_start.isoformat(),
        "ds": ds,
        "run_id": run_id,
    }


def where(dag_id: str, task_id: str, try_number: int, run_after: datetime.datetime) -> dict:
    """Values Airflow 3 keeps on the task instance and DAG run rather than in the context."""
    return {"dag_id": dag_id, "task_id": task_id, "try_number": try_number, "has_run_after": run_after is not None}
