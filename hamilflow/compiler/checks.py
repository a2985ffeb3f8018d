"""Compile-time checks: everything that would fail inside Airflow is reported before a file is written."""

from __future__ import annotations

import datetime
import difflib
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

TASK_ID = re.compile(r"^[\w.-]{1,250}$")  # Airflow's own rule for dag and task ids (KEY_REGEX, 250 characters)

_INTEGER_SETTINGS = ("retries", "priority_weight", "pool_slots", "max_active_tis_per_dag")
_DURATION_SETTINGS = ("retry_delay", "execution_timeout", "max_retry_delay")
_TEXT_SETTINGS = ("pool", "queue", "weight_rule")
_BOOLEAN_SETTINGS = ("retry_exponential_backoff",)
TASK_SETTINGS = _INTEGER_SETTINGS + _DURATION_SETTINGS + _TEXT_SETTINGS + _BOOLEAN_SETTINGS

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WEIGHT_RULES = ("downstream", "upstream", "absolute")
_MINIMUM = {"retries": 0, "pool_slots": 1, "max_active_tis_per_dag": 1}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_PRESETS = ("@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually")


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
                    value: Any = _integer(raw, _MINIMUM.get(setting))
                elif setting in _DURATION_SETTINGS:
                    value = parse_duration(raw)
                    if setting == "execution_timeout" and not value:
                        raise ValueError("an execution timeout of 0 would fail every run; use a positive duration")
                elif setting in _BOOLEAN_SETTINGS:
                    value = _boolean(raw)
                elif setting in _TEXT_SETTINGS:
                    value = str(raw).strip()
                    if not value:
                        raise ValueError("it must not be empty")
                    if setting == "weight_rule" and value not in _WEIGHT_RULES:
                        raise ValueError(f"Airflow's weight rules are {', '.join(_WEIGHT_RULES)}")
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


def _integer(raw: Any, minimum: int | None) -> int:
    if isinstance(raw, bool) or not re.fullmatch(r"\s*-?\d+\s*", str(raw)):
        raise ValueError(f"{raw!r} is not a whole number")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise ValueError(f"it must be at least {minimum}")
    return value


def _boolean(raw: Any) -> bool:
    text = str(raw).strip().lower()
    if text not in _TRUE + _FALSE:
        raise ValueError(f"{raw!r} is not a boolean: use True or False")
    return text in _TRUE


def check_dag_settings(options: CompileOptions, problems: list[str]) -> None:
    """The DAG-level options: dag id, start date, schedule, config that survives the trip through JSON."""
    if not isinstance(options.dag_id, str) or not TASK_ID.match(options.dag_id):
        problems.append(
            f"dag id {options.dag_id!r} is not valid in Airflow (letters, digits, '_', '.', '-'; at most 250 "
            "characters): choose another --dag-id."
        )
    try:
        datetime.date.fromisoformat(str(options.start_date))
    except ValueError:
        problems.append(f"start date {options.start_date!r} is not a date: use YYYY-MM-DD (--start-date 2024-01-01).")
    schedule = options.schedule
    if schedule is not None:
        if not isinstance(schedule, str) or not schedule.strip():
            problems.append(f"schedule {schedule!r} is not a cron expression or a preset like @daily.")
        elif schedule.startswith("@"):
            if schedule not in _PRESETS:
                problems.append(f"schedule {schedule!r} is not an Airflow preset: use one of {', '.join(_PRESETS)}.")
        else:
            try:
                from croniter import croniter  # installed with Airflow; without it Airflow checks at parse time
            except ImportError:
                croniter = None
            if croniter is not None and not croniter.is_valid(schedule):
                problems.append(
                    f"schedule {schedule!r} is not a valid cron expression (minute hour day month weekday, "
                    "e.g. '0 6 * * *'), nor a preset like @daily."
                )
    for what, values in (("config", options.config), ("param", options.params)):
        for name, value in values.items():
            if not _survives_json(value):
                problems.append(
                    f"{what} '{name}' = {value!r} does not survive JSON (the DAG file stores it as JSON, so "
                    f"workers would see another value): use strings, numbers, booleans, lists and dicts."
                )


_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean", list: "array", dict: "object"}


def param_type(annotation: Any) -> str | list[str] | None:
    """The JSON-schema type of an Airflow Param for an input annotation, when one fits."""
    import typing

    args = typing.get_args(annotation)
    if annotation is type(None):
        return "null"
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        members = [param_type(a) if a is not type(None) else "null" for a in args]
        if all(isinstance(m, str) for m in members):
            return sorted(set(members))
        return None
    origin = typing.get_origin(annotation) or annotation
    return _JSON_TYPES.get(origin)


def check_task_ids(task_ids: list[str], problems: list[str]) -> None:
    """Every Airflow task id must be valid and unique (Airflow refuses the DAG otherwise)."""
    seen: set[str] = set()
    for name in task_ids:
        if name in seen:
            problems.append(
                f"two tasks would have the Airflow task id '{name}' (a namespaced node and a node named with "
                "'__' meet here): rename one of the nodes."
            )
        seen.add(name)
        if not TASK_ID.fullmatch(name):
            problems.append(
                f"task id '{name}' is not valid in Airflow (letters, digits, '_', '.', '-'; at most 250 "
                "characters): rename the node."
            )


def classify_inputs(
    graph: FunctionGraph, plan: Plan, options: CompileOptions, problems: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Split the plan's external inputs into DAG params (name -> default) and Airflow context values."""
    needed = {v for t in plan.tasks for v in t.external_inputs}
    for name in options.params:
        if name not in needed or name in options.config or name in CONTEXT_INPUTS:
            why = (
                "it is in the config"
                if name in options.config
                else "it is filled from the Airflow context"
                if name in CONTEXT_INPUTS
                else "no function of the plan takes it as an input"
            )
            close = difflib.get_close_matches(name, [n for n in needed if n not in CONTEXT_INPUTS], n=1)
            hint = f" Did you mean '{close[0]}'?" if close and name not in needed else ""
            problems.append(f"--param {name}: not a DAG param, since {why}.{hint}")
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
            distinct = {repr(d): (u, d) for u, d in zip(users, defaults)}
            if len(distinct) > 1:
                problems.append(
                    f"input '{name}' has different defaults in "
                    + ", ".join(f"'{u}' ({d!r})" for u, d in distinct.values())
                    + ": a DAG param has one default, which would replace all of them on Airflow. Choose one "
                    f"with --param {name}=VALUE, or give the functions the same default."
                )
                continue
            default = next((d for d in defaults if d is not _NO_DEFAULT), None)
        if name not in options.params and not _survives_json(default):
            # an Airflow param would hand the function another value (a list for a tuple, text for a date):
            # leave the input out, so that the function's own default applies, as in the Driver
            continue
        params[name] = default
    return params, context


_NO_DEFAULT = object()


def _survives_json(value: Any) -> bool:
    try:
        return json.loads(json.dumps(value)) == value and type(json.loads(json.dumps(value))) is type(value)
    except (TypeError, ValueError):
        return False


def _parameter_default(graph: FunctionGraph, user: str, name: str) -> Any:
    import inspect

    fn = graph.nodes[user].callable
    parameter = inspect.signature(fn).parameters.get(name)
    return _NO_DEFAULT if parameter is None or parameter.default is parameter.empty else parameter.default
