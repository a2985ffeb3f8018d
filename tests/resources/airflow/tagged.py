"""Airflow task settings from @tag(airflow_...), and docstrings as task documentation."""

from hamilflow.function_modifiers import tag


@tag(
    airflow_retries="3",
    airflow_retry_delay="90s",
    airflow_pool="io",
    airflow_queue="fast",
    airflow_execution_timeout="5m",
    airflow_priority_weight="7",
)
def raw(size: int = 3) -> list:
    """Raw rows from a *slow* source.

    Retried, pooled and queued.
    """
    return list(range(size))


@tag(
    airflow_retry_exponential_backoff="true",
    airflow_max_active_tis_per_dag="2",
    airflow_max_retry_delay="10m",
    airflow_pool_slots="2",
    airflow_weight_rule="upstream",
    owner="data",
)
def cleaned(raw: list) -> list:
    """Rows without odd numbers."""
    return [r for r in raw if r % 2 == 0]


def plain(cleaned: list) -> int:
    return len(cleaned)
