"""Adapters a compiled DAG names by import path (``compile --adapter``), for ``test_on_airflow.py``.

Each is a factory of no argument, called in every Airflow task for fresh adapters. The recorders
write to the file ``$HAMILFLOW_DIFF_HOOK_LOG`` names at each call (read at each call, not once: a
worker may keep a DAG's adapters), and PrintLn prints into it, as the local tests do
(``test_hamilton_adapters.py``).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from hamilton import htypes
from hamilton.lifecycle import api, default

from tests.differential.adapters import recorders

LOG = "HAMILFLOW_DIFF_HOOK_LOG"
REFUSE = "HAMILFLOW_DIFF_REFUSE"


class _FromEnv(recorders.Journal):
    def __init__(self) -> None:
        super().__init__("")

    def write(self, *call: Any, run_id: str | None = None) -> None:
        self.path = os.environ[LOG]
        super().write(*call, run_id=run_id)


class Construction(_FromEnv, recorders.ConstructionRecorder):
    pass


class Validator(_FromEnv, recorders.ValidatorRecorder):
    """Refuses nodes tagged ``refuse`` only while ``$HAMILFLOW_DIFF_REFUSE`` is set: the environment it judges."""

    def run_to_validate_node(self, *, node, **future):
        verdict = super().run_to_validate_node(node=node, **future)
        return verdict if os.environ.get(REFUSE) else (True, None)


class Method(_FromEnv, recorders.MethodRecorder):
    pass


class Edges(_FromEnv, recorders.EdgeRecorder):
    pass


class IntAsText(api.EdgeConnectionHook):
    """Accepts an ``int`` where a ``str`` is wanted (an edge Hamilton's rules refuse), and refuses negative numbers
    as input values (else Hamilton's standard input check)."""

    def check_edge_types_match(self, type_from: type, type_to: type, **kwargs: Any) -> bool:
        return htypes.types_match(type_from, type_to) or (type_from is str and type_to is int)

    def validate_input(self, node_type: type, input_value: Any, **kwargs: Any) -> bool:
        if isinstance(input_value, (int, float)) and not isinstance(input_value, bool) and input_value < 0:
            return False
        return htypes.check_input_type(node_type, input_value)


def print_to(path: str, message: str) -> None:
    with open(path, "a") as out:
        out.write(message + "\n")


def construction() -> list:
    return [Construction()]


def validator() -> list:
    return [Validator()]


def method() -> list:
    return [Method()]


def edges() -> list:
    return [Edges()]


def println() -> default.PrintLn:
    return default.PrintLn(verbosity=2, print_fn=functools.partial(print_to, os.environ[LOG]))


def type_checker() -> default.FunctionInputOutputTypeChecker:
    return default.FunctionInputOutputTypeChecker()


def int_as_text() -> IntAsText:
    return IntAsText()
