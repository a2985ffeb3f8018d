"""Callbacks and adapters named by import path in DAG settings: each call appends a line to a file."""

import os

from hamilton.lifecycle import api


def record(context) -> None:
    """Append ``<event> <task id>`` to $HAMILFLOW_TEST_CALLBACKS (a task's success or failure callback)."""
    instance = context["ti"]
    with open(os.environ["HAMILFLOW_TEST_CALLBACKS"], "a") as fh:
        fh.write(f"{getattr(instance.state, 'value', instance.state)} {instance.task_id}\n")


class Quiet(api.NodeExecutionHook):
    """An adapter that observes every node and changes nothing."""

    def run_before_node_execution(self, **kwargs) -> None:
        pass

    def run_after_node_execution(self, **kwargs) -> None:
        pass


def printers() -> list:
    return [Quiet()]


def record_dag(context) -> None:
    """Append ``dag <state> <dag id>`` to $HAMILFLOW_TEST_CALLBACKS (a DAG's success or failure callback)."""
    run = context["dag_run"]
    with open(os.environ["HAMILFLOW_TEST_CALLBACKS"], "a") as fh:
        fh.write(f"dag {getattr(run.state, 'value', run.state)} {run.dag_id}\n")
