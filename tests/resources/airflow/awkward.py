"""Node names that clash with names in a DAG file or in Airflow's task context."""

from hamilflow.htypes import Collect, Parallelizable


def dag(n: int = 3) -> Parallelizable[int]:
    """An expander named like the DAG decorator."""
    yield from range(n)


def chunk(dag: int) -> int:
    """A mapped node named like the mapped tasks' parameter."""
    return dag * 2


def reason(chunk: Collect[int]) -> list:
    """A collector named like a context key."""
    return list(chunk)


def pipeline(reason: list) -> int:
    return sum(reason)


def task(pipeline: int, reason: list) -> str:
    return f"{pipeline}/{len(reason)}"


def params(task: str, ds: str) -> str:
    """Named like the context's params, reading the context's ds."""
    return f"{task}@{len(ds)}"


def ti(params: str, reason: list) -> dict:
    return {"params": params, "reason": reason}
