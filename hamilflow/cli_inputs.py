"""Command-line text to Python values: ``--input day=2024-03-01`` read by the parameter's annotation.

A value on the command line is text; the pipeline's functions say what they want in their
annotations. :func:`parse_typed` turns the text into that type (dates, datetimes, numbers,
booleans, JSON for lists and dicts, text as it is), and :func:`airflow_context` computes the
values Airflow fills for pipeline inputs named like its context (``ds``,
``data_interval_start``, ``run_id``, ...), for one run of a daily schedule, so that
``hamilflow run --logical-date 2024-03-01`` computes what the compiled DAG computes for that day.

    >>> import datetime
    >>> parse_typed("2024-03-01", datetime.date, "--input day")
    datetime.date(2024, 3, 1)
    >>> airflow_context("2024-03-01", dag_id="features")["run_id"]
    'scheduled__2024-03-02T00:00:00+00:00'
"""

from __future__ import annotations

import datetime
import enum
import json
import pathlib
import re
import types
import typing
from typing import Any, Mapping, Sequence

from hamilflow import frontend, htypes
from hamilflow.errors import GraphError, ModuleImportError, SettingError
from hamilflow.runtime.context import CONTEXT_INPUTS

_TRUE = ("true", "yes", "y", "1", "on")
_FALSE = ("false", "no", "n", "0", "off")
_NONE = ("null", "none")
_JSON_TYPES = (str, int, float, bool, list, dict, type(None))


def json_or_text(text: str, flag: str, key: str) -> Any:
    """JSON if it parses, else the text itself; text that starts like JSON but breaks is refused."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        if text.lstrip()[:1] in ("[", "{", '"'):
            raise SettingError(
                f"{flag} {key}={text}: {text!r} looks like JSON but is not valid JSON ({error.msg} at character "
                f"{error.pos}). Fix the JSON, or, to pass it as text, quote it as a JSON string: "
                f"{flag} {key}={json.dumps(text)!r}."
            ) from None
        return text


def pairs(items: Any, flag: str) -> dict[str, str]:
    """``NAME=VALUE`` items as a dict of texts, refusing items without a name or an ``=``."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SettingError(
                f"{flag} takes NAME=VALUE (VALUE is JSON or text), got {item!r}: write {flag} NAME=VALUE, "
                f"e.g. {flag} amount=3."
            )
        out[key] = value
    return out


def _union_members(annotation: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(annotation) is typing.Union or isinstance(annotation, getattr(types, "UnionType", ())):
        return typing.get_args(annotation)
    return None


def parse_datetime(text: str) -> datetime.datetime:
    """An ISO date or date-time; ``Z`` is accepted for UTC (Python 3.10's ``fromisoformat`` refuses it)."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return datetime.datetime.fromisoformat(text)


class _Unfit(Exception):  # noqa: N818 - internal, never leaves this module
    """What the text should look like, from :func:`_scalar`; :func:`parse_typed` makes it a SettingError."""


def _scalar(text: str, annotation: Any) -> Any:
    """``text`` as one value of ``annotation``; _Unfit (saying what is expected) when it is not one."""
    origin = typing.get_origin(annotation) or annotation
    if annotation is Any or annotation is object or annotation is None or isinstance(annotation, typing.TypeVar):
        return json_or_text(text, "", "")
    if origin is typing.Literal:
        choices = typing.get_args(annotation)
        for choice in choices:
            if text == str(choice):
                return choice
        raise _Unfit(f"one of {', '.join(map(repr, choices))}")
    if not isinstance(origin, type):
        return json_or_text(text, "", "")
    if issubclass(origin, str):
        return text
    if issubclass(origin, bool):
        if text.strip().lower() in _TRUE:
            return True
        if text.strip().lower() in _FALSE:
            return False
        raise _Unfit("true or false")
    if issubclass(origin, enum.Enum):
        if text in origin.__members__:
            return origin[text]
        for member in origin:
            if str(member.value) == text:
                return member
        raise _Unfit(f"one of {', '.join(origin.__members__)}")
    if issubclass(origin, int):
        try:
            return int(text)
        except ValueError:
            raise _Unfit("a whole number, e.g. 3") from None
    if issubclass(origin, float):
        try:
            return float(text)
        except ValueError:
            raise _Unfit("a number, e.g. 0.5") from None
    if issubclass(origin, datetime.datetime):  # before date: a datetime is a date
        try:
            value = parse_datetime(text)
        except ValueError:
            raise _Unfit("an ISO date-time, e.g. 2024-03-01T06:00:00+00:00") from None
        if not isinstance(value, origin):  # a subclass: pendulum.DateTime, pandas.Timestamp
            value = origin.instance(value) if hasattr(origin, "instance") else origin(value)
        return value
    if issubclass(origin, datetime.date):
        try:
            return datetime.date.fromisoformat(text.strip())
        except ValueError:
            raise _Unfit("an ISO date, e.g. 2024-03-01") from None
    if issubclass(origin, pathlib.PurePath):
        return origin(text)
    if issubclass(origin, (list, tuple, set, frozenset, dict)):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            example = '{"a": 1}' if issubclass(origin, dict) else "[1, 2]"
            raise _Unfit(f"JSON ({error.msg} at character {error.pos}), e.g. '{example}'") from None
        wanted = dict if issubclass(origin, dict) else list
        if not isinstance(value, wanted):
            raise _Unfit(f"a JSON {'object' if wanted is dict else 'array'}")
        return value if origin in (list, dict) else origin(value)
    return json_or_text(text, "", "")


def parse_typed(text: str, annotation: Any, flag: str, key: str = "", where: str = "") -> Any:
    """``text`` read as a value of ``annotation`` (``Optional[...]`` unwrapped; ``null`` for None).

    Raises :class:`~hamilflow.errors.SettingError` naming the flag, the input, its type and an example.
    """
    members = _union_members(annotation)
    if members is not None:
        others = [m for m in members if m is not type(None)]
        if len(others) < len(members) and text.strip().lower() in _NONE:
            return None
        expected = []
        for member in others:  # the first member that reads the text, in the annotation's order
            try:
                return _scalar(text, member)
            except _Unfit as error:
                expected.append(str(error))
        problem = " or ".join(expected)
    else:
        try:
            return _scalar(text, annotation)
        except _Unfit as error:
            problem = str(error)
    name = key or "value"
    raise SettingError(
        f"{flag} {key}={text}: '{name}' is {htypes.type_name(annotation)}{where}, and {text!r} is not one. "
        f"Write {problem}."
    )


def typed_values(texts: Mapping[str, str], graph: Any, flag: str) -> dict[str, Any]:
    """Each ``NAME=VALUE`` text read by the annotation of the graph's input ``NAME``.

    A name that is no external input of the graph (unknown, or a computed node) is read as JSON
    or text: the request check then says what is wrong with it.
    """
    out = {}
    for key, text in texts.items():
        node = graph.nodes.get(key)
        if node is None or not node.is_external_input:
            out[key] = json_or_text(text, flag, key)
            continue
        users = [graph.nodes[u] for u in node.dependents]
        where = f" (parameter of {', '.join(u.where for u in users[:3])})" if users else ""
        out[key] = parse_typed(text, node.type, flag, key, where)
    return out


def logical_date(text: str) -> datetime.datetime:
    """``--logical-date`` as Airflow holds it: an aware UTC date-time (midnight for a date)."""
    try:
        value = parse_datetime(text)
    except ValueError:
        raise SettingError(
            f"--logical-date {text}: not an ISO date or date-time. Write the run's date, e.g. "
            "--logical-date 2024-03-01 (midnight UTC), or a date-time, e.g. --logical-date 2024-03-01T06:00:00+00:00."
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    value = value.astimezone(datetime.timezone.utc)
    try:  # Airflow hands tasks pendulum date-times; pendulum comes with Airflow
        import pendulum

        return pendulum.instance(value, tz="UTC")
    except ImportError:  # pragma: no cover - Airflow (and so pendulum) is a dependency
        return value


def airflow_context(date: str | datetime.datetime, dag_id: str) -> dict[str, Any]:
    """The context values a scheduled run of a daily DAG gets for logical date ``date``.

    As Airflow 3's cron timetable makes them: the data interval is the day that starts at the
    logical date, the run is due (``run_after``) when it ends, and the run id is
    ``scheduled__<run_after>``. ``task_id``, ``map_index`` and ``try_number`` depend on the
    task: :func:`context_for` fills them where a local run knows them.
    """
    start = logical_date(date) if isinstance(date, str) else date
    end = start + datetime.timedelta(days=1)
    return {
        "logical_date": start,
        "ds": start.strftime("%Y-%m-%d"),
        "ds_nodash": start.strftime("%Y%m%d"),
        "ts": start.isoformat(),
        "ts_nodash": start.strftime("%Y%m%dT%H%M%S"),
        "data_interval_start": start,
        "data_interval_end": end,
        "run_id": f"scheduled__{end.isoformat()}",
        "dag_id": dag_id,
        "try_number": 1,
        "run_after": end,
    }


def context_for(graph: Any, needed: set[str], date: str, dag_id: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """The context inputs among ``needed`` that the caller did not give, for logical date ``date``.

    ``task_id`` and ``map_index`` are filled only for an input read by one top-level node (its
    task is named after it and is not mapped); otherwise they must be passed with ``--input``.
    """
    values = airflow_context(date, dag_id)
    out = {}
    for name in CONTEXT_INPUTS:
        if name not in needed or name in given or name not in graph.nodes:
            continue
        if name in ("task_id", "map_index"):
            readers = [u for u in graph.nodes[name].dependents if u in needed]
            if len(readers) != 1 or graph.blocks.path_of(readers[0]):
                continue  # which task reads it is a grouping's choice: ask for it (missing input)
            out[name] = readers[0] if name == "task_id" else -1
            continue
        out[name] = values[name]
    return out


def untyped(items: Sequence[str] | None, flag: str) -> dict[str, Any]:
    """``NAME=VALUE`` items read as JSON, or as text when they are not JSON (config entries)."""
    return {key: json_or_text(text, flag, key) for key, text in pairs(items, flag).items()}


def import_modules(names: Sequence[str]) -> list[Any]:
    """The ``-m`` modules, imported from the current folder too (as ``python -m``); one paragraph per failure."""
    modules = []
    for name in names:
        try:
            modules += frontend.import_modules([name])
        except ModuleImportError as error:
            said = f"cannot import module '{name}'"
            raise ModuleImportError(str(error).replace(said, f"{said} (-m {name})", 1)) from error
    return modules


def one_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def where(error: BaseException) -> str:
    """`` (at file:line)``: the innermost frame of the user's code, outside hamilflow and installed packages."""
    return frontend.where_in_user_code(error)


def graph_of(modules: Sequence[str], config: Sequence[str] | None) -> Any:
    """The validated graph of the ``-m`` modules under the ``--config`` items (GraphError lists every problem)."""
    from hamilflow.graph import FunctionGraph

    return FunctionGraph.from_modules(*import_modules(modules), config=untyped(config, "--config"))


def param_defaults(items: Sequence[str] | None, modules: Sequence[str], config: Sequence[str] | None) -> dict[str, Any]:
    """``--param`` defaults, checked against their inputs' annotations (``seed=eleven`` for an int is refused).

    The DAG file keeps params as JSON, so a value JSON cannot hold (a date) stays the text
    that was checked; the compiler reports anything wrong with the pipeline itself.
    """
    texts = pairs(items, "--param")
    if not texts:
        return {}
    try:
        graph = graph_of(modules, config)
    except GraphError:
        return untyped(items, "--param")  # compile_pipeline lists the graph's problems
    typed = typed_values(texts, graph, "--param")
    return {key: value if isinstance(value, _JSON_TYPES) else texts[key] for key, value in typed.items()}


def in_command_line_terms(problems: Sequence[str]) -> list[str]:
    """Request problems as a command-line user fixes them: ``inputs={'x': ...}`` becomes ``--input x=VALUE``."""
    return [re.sub(r"inputs=\{'([^']+)': \.\.\.\}", r"--input \1=VALUE", problem) for problem in problems]
