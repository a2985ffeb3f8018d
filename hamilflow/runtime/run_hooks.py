"""Graph hooks on Airflow: ``pre_graph_execute`` and ``post_graph_execute`` once per DAG run.

A DAG compiled with adapters that have graph hooks gets two more tasks: a setup task,
``hamilflow_run_started``, before every other, and a teardown task, ``hamilflow_run_finished``,
after every other. The first calls ``pre_graph_execute`` with the run's id, the DAG's
outputs and its inputs (params, context values, config); the second calls
``post_graph_execute`` whether the run succeeded or not: ``success`` says whether every output
was computed, ``results`` holds them (read back from the artifact store), and ``error`` names
what is missing otherwise. Airflow leaves a teardown out when it judges the run, so a
failed run stays failed. See :mod:`hamilflow.runtime.hooks` for the other hooks.

    >>> run_started(spec, "manual__2026-01-01", {"corpus": "classics"})  # in the setup task  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Mapping

from hamilflow.errors import HamilflowError
from hamilflow.runtime.hooks import lifecycle_of
from hamilflow.runtime.spec import PipelineSpec
from hamilflow.runtime.store import ArtifactNotFoundError
from hamilflow.runtime.task import load, read_outputs

STARTED_TASK = "hamilflow_run_started"
FINISHED_TASK = "hamilflow_run_finished"


class RunIncompleteError(HamilflowError):
    """A DAG run ended without computing every output (what ``post_graph_execute`` receives as ``error``)."""


def run_started(spec: PipelineSpec, run_id: str, inputs: Mapping[str, Any]) -> None:
    """Call the adapters' ``pre_graph_execute`` for the DAG run ``run_id``."""
    lifecycle = lifecycle_of(spec.adapters)
    if lifecycle is not None:
        lifecycle.before_run(load(spec).graph, run_id, list(spec.final_vars), dict(inputs), None)


def run_finished(spec: PipelineSpec, run_id: str) -> None:
    """Call the adapters' ``post_graph_execute`` for the DAG run ``run_id``, with its outputs if all were computed."""
    lifecycle = lifecycle_of(spec.adapters)
    if lifecycle is None:
        return
    results: dict[str, Any] | None = None
    error: BaseException | None = None
    try:
        results = read_outputs(spec, run_id)
    except ArtifactNotFoundError as missing:
        error = RunIncompleteError(
            f"DAG run '{run_id}' of '{spec.dag_id}' did not compute all of {', '.join(spec.final_vars)} "
            f"({missing}): a task failed or was skipped; its log says why."
        )
    lifecycle.after_run(load(spec).graph, run_id, error is None, error, results)
