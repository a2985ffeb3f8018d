"""The pipeline's external inputs on Airflow: typed DAG params, Airflow context values, config.

An input the plan needs is, in this order: in the config (fixed in the DAG file), named
like an Airflow context value (read from the running task, see
:mod:`hamilflow.runtime.context`), or a DAG param, typed from its annotation, whose
default comes from ``--param`` or from the functions' own default. A param that only optional
parameters read is passed to them only when a run sets it in its conf or its value is not the
functions' default (the spec's ``function_defaults``), as a Driver passes only the inputs it is given.
"""

from __future__ import annotations

import difflib
import inspect
import json
import types
import typing
from typing import TYPE_CHECKING, Any

from hamilflow import htypes
from hamilflow.compiler.model import DagParam
from hamilflow.errors import HamilflowWarning
from hamilflow.node import DependencyType
from hamilflow.runtime.context import CONTEXT_INPUTS

if TYPE_CHECKING:
    from hamilflow.compiler.options import CompileOptions
    from hamilflow.execution.plan import Plan
    from hamilflow.graph import FunctionGraph

_JSON_TYPES = {int: "integer", float: "number", str: "string", bool: "boolean", list: "array", dict: "object"}


def param_type(annotation: Any) -> str | list[str] | None:
    """The JSON-schema type of an Airflow Param for an input annotation, when one fits.

    >>> param_type(int | None)
    ['integer', 'null']
    """
    args = typing.get_args(annotation)
    if annotation is type(None):
        return "null"
    if typing.get_origin(annotation) in (typing.Union, getattr(types, "UnionType", None)):
        members = [param_type(a) if a is not type(None) else "null" for a in args]
        if all(isinstance(m, str) for m in members):
            return sorted(set(members))
        return None
    origin = typing.get_origin(annotation) or annotation
    return _JSON_TYPES.get(origin)


def check_input_values(options: CompileOptions, problems: list[str]) -> None:
    """Config and param values must come back from JSON as they went in (the DAG file stores them so)."""
    for what, values in (("config", options.config), ("param", options.params)):
        for name, value in values.items():
            if not _survives_json(value):
                problems.append(
                    f"{what} '{name}' = {value!r} does not survive JSON (the DAG file stores it as JSON, so "
                    f"workers would see another value): use strings, numbers, booleans, lists and dicts."
                )


def classify_inputs(
    graph: FunctionGraph, plan: Plan, options: CompileOptions, problems: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Split the plan's external inputs into DAG params (name -> default) and Airflow context values."""
    needed = {v for t in plan.tasks for v in t.external}
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
    position = {name: i for i, name in enumerate(graph.order)}
    for name in sorted(needed, key=position.__getitem__):
        node = graph.nodes[name]
        users = [u for u in node.dependents if u in plan.producer]  # the nodes of the plan that read it
        if name in options.config:
            continue
        if name in CONTEXT_INPUTS:
            context.append(name)
            continue
        if name in graph.deselected and name not in options.params:
            # a config that selects no variant is not a DAG param to ask for: say which config would select one
            required = [u for u in users if graph.nodes[u].input_types[name][1] is DependencyType.REQUIRED]
            if required:
                problems.append(_deselected(graph, name, required))
            else:  # as the Driver does: the functions' own defaults apply
                HamilflowWarning.emit(_deselected(graph, name, users, optional=True))
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


def _deselected(graph: FunctionGraph, name: str, users: list[str], optional: bool = False) -> str:
    """Why no function computes ``name`` under the compile config, and the config (or param) that would fix it."""
    example = next((v.example for v in graph.deselected[name] if v.example), None)
    flags = " ".join(f"--config {k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in (example or {}).items())
    readers = ", ".join(f"'{u}' ({graph.nodes[u].where})" for u in users)
    return (
        f"input '{name}', {'read' if optional else 'required'} by {readers}, is computed by no function under the "
        f"compile config: {graph.config_hint(name)} When compiling: {flags or '--config NAME=VALUE'} (or config in "
        "CompileOptions / [tool.hamilflow.dags.<dag_id>])."
        + (
            f" As compiled, the DAG has no param '{name}' and the function's default applies, as in the Driver; to "
            f"make it a DAG param, give --param {name}=VALUE."
            if optional
            else f" Or, to make '{name}' a DAG param instead, give --param {name}=VALUE."
        )
    )


_VALUES_OF_JSON_TYPE: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
    "null": (type(None),),
}


def check_param_defaults(graph: FunctionGraph, params: dict[str, Any], options: CompileOptions, problems: list[str]):
    """A param's default must be of the JSON type its Param declares: Airflow refuses every run that keeps one
    that is not (``x: int = 1.5``, ``--param seed=eleven``)."""
    for name, default in params.items():
        json_type = param_type(graph.nodes[name].type)
        if json_type is None or default is None:
            continue
        kinds = [json_type] if isinstance(json_type, str) else list(json_type)
        accepted = tuple(t for kind in kinds for t in _VALUES_OF_JSON_TYPE.get(kind, (object,)))
        if isinstance(default, bool) and "boolean" not in kinds:
            accepted = ()
        if not isinstance(default, accepted):
            where = "--param / the DAG's params" if name in options.params else "the function's default"
            problems.append(
                f"input '{name}' ({htypes.type_name(graph.nodes[name].type)}) has the default {default!r} "
                f"({type(default).__name__}, from {where}), but its DAG param is typed {' or '.join(kinds)}: Airflow "
                f"would refuse every run that keeps it. Give a default of that type (--param {name}=VALUE), or "
                "change the annotation."
            )


def dag_params(graph: FunctionGraph, plan: Plan, params: dict[str, Any]) -> list[DagParam]:
    """The DAG's params: each default, typed from the input's annotation, described by who reads it."""
    out = []
    for name, default in params.items():
        node = graph.nodes[name]
        users = [u for u in node.dependents if u in plan.producer]
        json_type = param_type(node.type)
        if default is None and isinstance(json_type, str):
            json_type = [json_type, "null"]  # else Airflow refuses every run that keeps the default
        described = f"input of {', '.join(users)} ({htypes.type_name(node.type)})"
        out.append(DagParam(name=name, default=default, json_type=json_type, description=described))
    return out


def function_defaults(graph: FunctionGraph, plan: Plan, params: dict[str, Any]) -> dict[str, Any]:
    """The params that the plan's functions all read as optional parameters with one default, with that default:
    a DAG run that does not set one (it is not in its conf) and keeps that value does not pass it, so that each
    function's own default applies, as in a Driver that is not given it (the node hooks see the same kwargs)."""
    found = {}
    for name in params:
        users = [u for u in graph.nodes[name].dependents if u in plan.producer]
        if not users or any(graph.nodes[u].input_types[name][1] is not DependencyType.OPTIONAL for u in users):
            continue
        defaults = {repr(d): d for d in (_parameter_default(graph, u, name) for u in users)}
        (default,) = defaults.values() if len(defaults) == 1 else (_NO_DEFAULT,)
        if default is not _NO_DEFAULT and _survives_json(default):
            found[name] = default
    return found


_NO_DEFAULT = object()


def _survives_json(value: Any) -> bool:
    try:
        return json.loads(json.dumps(value)) == value and type(json.loads(json.dumps(value))) is type(value)
    except (TypeError, ValueError):
        return False


def _parameter_default(graph: FunctionGraph, user: str, name: str) -> Any:
    fn = graph.nodes[user].callable
    parameter = inspect.signature(fn).parameters.get(name)
    return _NO_DEFAULT if parameter is None or parameter.default is parameter.empty else parameter.default
