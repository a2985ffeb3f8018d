"""Pipeline inputs that Airflow fills: which input names come from a task's context, and how each is read.

A pipeline input named like one of :data:`CONTEXT_INPUTS` (``logical_date``, ``ds``,
``run_id``, ...) is not a DAG param: the compiler leaves it out of the params and the
runtime reads it from the running task with :func:`context_value`. This module is that
list's one home; it imports nothing from Airflow.

    >>> context_value({"ds": "2025-03-04"}, "ds")
    '2025-03-04'
"""

from __future__ import annotations

from typing import Any, Mapping

# Pipeline inputs with these names are filled from the running Airflow task's context.
CONTEXT_INPUTS = (
    "logical_date",
    "ds",
    "ds_nodash",
    "ts",
    "ts_nodash",
    "data_interval_start",
    "data_interval_end",
    "run_id",
    "dag_id",
    "task_id",
    "map_index",
    "try_number",
    "run_after",
)

# Not context keys in Airflow 3: the task instance holds them.
_FROM_TASK_INSTANCE = ("dag_id", "task_id", "map_index", "try_number")

# Dates a manual run (no logical date) takes from when the run was due, ``run_after``.
_RUN_AFTER_FORMATS = {
    "logical_date": None,
    "data_interval_start": None,
    "data_interval_end": None,
    "ds": "%Y-%m-%d",
    "ds_nodash": "%Y%m%d",
    "ts": "isoformat",
    "ts_nodash": "%Y%m%dT%H%M%S",
}


def context_value(context: Mapping[str, Any], name: str) -> Any:
    """A context value for a pipeline input; manual runs without a logical date fall back to ``run_after``.

    ``dag_id``, ``task_id``, ``map_index`` and ``try_number`` are not context keys in
    Airflow 3: they come from the task instance, ``run_after`` from the DAG run.
    """
    if name in _FROM_TASK_INSTANCE:
        return getattr(context.get("ti") or context.get("task_instance"), name, None)
    if name == "run_after":
        return getattr(context.get("dag_run"), "run_after", None)
    value = context.get(name)
    if value is not None or name not in _RUN_AFTER_FORMATS:
        return value
    run_after = getattr(context.get("dag_run"), "run_after", None)
    if run_after is None:
        return None
    form = _RUN_AFTER_FORMATS[name]
    if form is None:
        return run_after
    return run_after.isoformat() if form == "isoformat" else run_after.strftime(form)
