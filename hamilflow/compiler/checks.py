"""Compile-time checks: everything that would fail inside Airflow is reported before a file is written."""

from __future__ import annotations

import datetime
import json
import re
from typing import TYPE_CHECKING, Any

from hamilflow import htypes
from hamilflow.node import DependencyType
from hamilflow.runtime.spec import CONTEXT_INPUTS

if TYPE_CHECKING:
    from hamilflow.compiler.options import CompileOptions
    from hamilflow.execution.plan import Plan
    from hamilflow.graph import FunctionGraph

TASK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")

_INTEGER_SETTINGS = ("retries", "priority_weight", "pool_slots", "max_active_tis_per_dag")
_DURATION_SETTINGS = ("retry_delay", "execution_timeout", "max_retry_delay")
_TEXT_SETTINGS = ("pool", "queue", "weight_rule")
_BOOLEAN_SETTINGS = ("retry_exponential_backoff",)
TASK_SETTINGS = _INTEGER_SETTINGS + _DURATION_SETTINGS + _TEXT_SETTINGS + _BOOLEAN_SETTINGS

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: Any) -> datetime.timedelta:
    """``30``, ``"30"``, ``"90s"``, ``"5m"``, ``"2h"``, ``"1d"`` as a timedelta.

    >>> parse_duration("5m")
    datetime.timedelta(seconds=300)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration: use seconds (30) or 90s, 5m, 2h, 1d")
    return datetime.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2) or "s"])


def task_settings(graph: FunctionGraph, nodes: tuple[str, ...], problems: list[str]) -> dict[str, Any]:
    """Airflow task settings from the nodes' ``airflow_*`` tags (merged over a group's nodes)."""
    settings: dict[str, Any] = {}
    for name in nodes:
        node = graph.nodes[name]
        for key, raw in node.tags.items():
            if not key.startswith("airflow_"):
                continue
            setting = key[len("airflow_") :]
            where = f"@tag({key}={raw!r}) on '{name}' ({node.where})"
            try:
                if setting in _INTEGER_SETTINGS:
                    value: Any = int(raw)
                elif setting in _DURATION_SETTINGS:
                    value = parse_duration(raw)
                elif setting in _BOOLEAN_SETTINGS:
                    value = str(raw).lower() in ("1", "true", "yes")
                elif setting in _TEXT_SETTINGS:
                    value = str(raw)
                else:
                    problems.append(
                        f"{where}: unknown Airflow task setting '{setting}'. "
                        f"Known: {', '.join('airflow_' + s for s in TASK_SETTINGS)}."
                    )
                    continue
            except ValueError as error:
                problems.append(f"{where}: {error}.")
                continue
            if setting in settings and settings[setting] != value:
                if setting in _INTEGER_SETTINGS or setting in _DURATION_SETTINGS:
                    value = max(value, settings[setting])  # a group takes the most generous limit
                else:
                    problems.append(
                        f"{where}: conflicts with {settings[setting]!r} on another node of the same task; "
                        "nodes that run as one task must agree (or choose another grouping)."
                    )
                    continue
            settings[setting] = value
    return settings


_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean", list: "array", dict: "object"}


def param_type(annotation: Any) -> str | list[str] | None:
    """The JSON-schema type of an Airflow Param for an input annotation, when one fits."""
    import typing

    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        members = [param_type(a) if a is not type(None) else "null" for a in args]
        if all(isinstance(m, str) for m in members):
            return sorted(set(members))
        return None
    origin = typing.get_origin(annotation) or annotation
    return _JSON_TYPES.get(origin)


def check_task_ids(plan: Plan, extra: list[str], problems: list[str]) -> None:
    for name in [t.name for t in plan.tasks] + extra:
        if not TASK_ID.match(name):
            problems.append(
                f"task id '{name}' is not valid in Airflow (letters, digits, '_', '.', '-'; at most 250 "
                "characters): rename the node."
            )


def classify_inputs(
    graph: FunctionGraph, plan: Plan, options: CompileOptions, problems: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Split the plan's external inputs into DAG params (name -> default) and Airflow context values."""
    needed = {v for t in plan.tasks for v in t.external_inputs}
    params: dict[str, Any] = {}
    context: list[str] = []
    for name in sorted(needed, key=graph.order.index):
        node = graph.nodes[name]
        users = [u for u in node.dependents if any(u in t.nodes for t in plan.tasks)]
        if name in options.config:
            continue
        if name in CONTEXT_INPUTS:
            context.append(name)
            continue
        if name in options.params:
            default = options.params[name]
        else:
            defaults = [_parameter_default(graph, u, name) for u in users]
            required = [u for u in users if graph.nodes[u].input_types[name][1] is DependencyType.REQUIRED]
            if required:
                problems.append(
                    f"input '{name}' ({htypes.type_name(node.type)}), required by "
                    + ", ".join(f"'{u}' ({graph.nodes[u].where})" for u in required)
                    + ", has no value: give the DAG param a default (--param "
                    f"{name}=VALUE), put it in the config (--config {name}=VALUE), or name it after an "
                    f"Airflow context value ({', '.join(CONTEXT_INPUTS[:7])}, ...)."
                )
                continue
            default = next((d for d in defaults if d is not _NO_DEFAULT), None)
        try:
            json.dumps(default)
        except TypeError:
            problems.append(
                f"input '{name}': its default {default!r} is not JSON, so it cannot be an Airflow param; "
                "pass a JSON value with --param or put it in the config."
            )
            continue
        params[name] = default
    return params, context


_NO_DEFAULT = object()


def _parameter_default(graph: FunctionGraph, user: str, name: str) -> Any:
    import inspect

    fn = graph.nodes[user].callable
    parameter = inspect.signature(fn).parameters.get(name)
    return _NO_DEFAULT if parameter is None or parameter.default is parameter.empty else parameter.default
