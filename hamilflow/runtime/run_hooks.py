"""Graph hooks on Airflow: ``pre_graph_execute`` and ``post_graph_execute`` once per DAG run.

A DAG compiled with adapters that have graph hooks gets two more tasks: a setup task,
``hamilflow_run_started``, before every other, and a teardown task, ``hamilflow_run_finished``,
after every other. The first calls ``pre_graph_execute`` with the run's id, the DAG's
outputs and its inputs (params, context values, config); the second calls
``post_graph_execute`` whether the run succeeded or not: ``success`` says whether every output
was computed, ``results`` holds them (read back from the artifact store), and ``error`` names
what is missing otherwise. Airflow leaves a teardown out when it judges the run, so a
failed run stays failed. The first task also builds the graph with the adapters and calls their
construction hooks and validators, so a validator's refusal fails it and nothing of the run runs;
then, after ``pre_graph_execute`` as in the Driver, it puts the run's inputs (params, context
values) to an adapter's ``validate_input``, and a refused value fails it in the same way.
See :mod:`hamilflow.runtime.hooks` for the other hooks.

    >>> run_started(spec, "manual__2026-01-01", {"corpus": "classics"})  # in the setup task  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from hamilflow.errors import ExecutionRequestError, HamilflowError, add_note
from hamilflow.frontend import import_modules
from hamilflow.lifecycle import AdapterValidationError, Lifecycle
from hamilflow.materializers import pipeline_graph
from hamilflow.runtime.hooks import lifecycle_of
from hamilflow.runtime.spec import PipelineSpec
from hamilflow.runtime.store import ArtifactNotFoundError
from hamilflow.runtime.task import load, read_outputs

if TYPE_CHECKING:
    from hamilflow.graph import FunctionGraph

STARTED_TASK = "hamilflow_run_started"
FINISHED_TASK = "hamilflow_run_finished"


class RunIncompleteError(HamilflowError):
    """A DAG run ended without computing every output (what ``post_graph_execute`` receives as ``error``)."""


def run_started(spec: PipelineSpec, run_id: str, inputs: Mapping[str, Any]) -> None:
    """Call the adapters' construction hooks and validators, then ``pre_graph_execute``, for the DAG run ``run_id``;
    then put the run's inputs to the adapter's ``validate_input``, as a Driver puts its ``inputs``.

    Raises :class:`~hamilflow.lifecycle.AdapterValidationError` when a validator refuses the graph, and
    :class:`~hamilflow.errors.ExecutionRequestError` when the adapter refuses an input value."""
    lifecycle = lifecycle_of(spec.adapters)
    if lifecycle is None:
        return
    if lifecycle.sees_construction:
        graph = constructed(spec, lifecycle, run_id)
    else:
        graph = load(spec).graph
    lifecycle.before_run(graph, run_id, list(spec.final_vars), dict(inputs), None)
    if lifecycle.validates_inputs:
        check_inputs(spec, graph, lifecycle, run_id, inputs)


def check_inputs(
    spec: PipelineSpec, graph: FunctionGraph, lifecycle: Lifecycle, run_id: str, inputs: Mapping[str, Any]
) -> None:
    """Put each input value of the run (params, context values; config values through the graph's config) to the
    adapter's ``validate_input``, as the Driver does (:meth:`hamilflow.driver.Driver.validate_execution`): one
    check per input and reading annotation. Raises ``ExecutionRequestError`` naming each value it refuses."""
    given = {name: value for name, value in inputs.items() if name not in spec.config}
    _, checks = graph.request_checks(spec.final_vars, given, ())  # the names were checked when compiling
    problems = graph.check_request(
        spec.final_vars,
        given,
        {},
        value_check=lifecycle.accepts_input,
        cached=([], checks),
        checked_by=lifecycle.input_validator,
    )
    if problems:
        error = ExecutionRequestError(problems)
        add_note(
            error,
            f"hamilflow: DAG run '{run_id}' of '{spec.dag_id}' stops here, before any node runs: the adapter "
            f"{lifecycle.input_validator} ({', '.join(spec.adapters)}) refused its inputs (the run's params, from "
            "its conf or their defaults, and context values), as a Driver refuses its inputs. Trigger the DAG with "
            "values the adapter accepts.",
        )
        raise error


def constructed(spec: PipelineSpec, lifecycle: Lifecycle, run_id: str) -> FunctionGraph:
    """The graph built as a Driver with the adapters builds it: edge checks asked about every edge, then
    ``post_graph_construct`` and the validators. Raises ``AdapterValidationError`` with the validators' words."""
    modules = import_modules(spec.modules, from_current_folder=False)  # a worker's sys.path, as deployed
    graph = pipeline_graph(modules, spec.config, spec.materializers, lifecycle)
    problems = lifecycle.after_build(graph, modules, graph.config)
    if problems:
        error = AdapterValidationError(problems)
        add_note(
            error,
            f"hamilflow: DAG run '{run_id}' of '{spec.dag_id}' stops here, before any node runs: "
            f"the adapters {', '.join(spec.adapters)} refused its pipeline when this task built it.",
        )
        raise error
    return graph


def run_finished(spec: PipelineSpec, run_id: str) -> None:
    """Call the adapters' ``post_graph_execute`` for the DAG run ``run_id``, with its outputs if all were computed."""
    lifecycle = lifecycle_of(spec.adapters)
    if lifecycle is None or not lifecycle.set.does_hook("post_graph_execute", is_async=False):
        return  # the DAG has this task for other hooks: its outputs are not read for nothing
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
