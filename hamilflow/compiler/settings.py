"""Airflow settings: task settings from ``@tag(airflow_*=...)``, the DAG's own settings, task ids.

Each translation checks its input on the way, so that everything that would fail inside
Airflow (a bad duration, an unknown setting, an invalid id) is reported at compile time,
naming the node and the tag, before a file is written.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any

from hamilflow.errors import SettingError

if TYPE_CHECKING:
    from hamilflow.compiler.model import AirflowTask
    from hamilflow.compiler.options import CompileOptions
    from hamilflow.execution.plan import Plan
    from hamilflow.graph import FunctionGraph

TASK_ID = re.compile(r"^[\w.-]{1,250}$")  # Airflow's own rule for dag and task ids (KEY_REGEX, 250 characters)

_INTEGER_SETTINGS = ("retries", "priority_weight", "pool_slots", "max_active_tis_per_dag")
_DURATION_SETTINGS = ("retry_delay", "execution_timeout", "max_retry_delay")
_TEXT_SETTINGS = ("pool", "queue", "weight_rule")
_BOOLEAN_SETTINGS = ("retry_exponential_backoff",)
TASK_SETTINGS = _INTEGER_SETTINGS + _DURATION_SETTINGS + _TEXT_SETTINGS + _BOOLEAN_SETTINGS
# A block setting, on a Parallelizable[] node: how many items each mapped instance of its block runs.
ITEMS_PER_TASK_TAG = "airflow_items_per_task"

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
        raise SettingError(f"{text!r} is not a duration: use seconds (30) or 90s, 5m, 2h, 1d")
    return datetime.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2) or "s"])


def task_settings(graph: FunctionGraph, nodes: tuple[str, ...], problems: list[str]) -> dict[str, Any]:
    """Airflow task settings from the nodes' ``airflow_*`` tags (merged over a group's nodes)."""
    settings: dict[str, Any] = {}
    for name in nodes:
        node = graph.nodes[name]
        for key, raw in node.tags.items():
            if not key.startswith("airflow_") or key == ITEMS_PER_TASK_TAG:
                continue
            setting = key[len("airflow_") :]
            where = f"@tag({key}={raw!r}) on '{name}' ({node.where})"
            try:
                if setting in _INTEGER_SETTINGS:
                    value: Any = _integer(raw, _MINIMUM.get(setting))
                elif setting in _DURATION_SETTINGS:
                    value = parse_duration(raw)
                    if setting == "execution_timeout" and not value:
                        raise SettingError("an execution timeout of 0 would fail every run; use a positive duration")
                elif setting in _BOOLEAN_SETTINGS:
                    value = _boolean(raw)
                elif setting in _TEXT_SETTINGS:
                    value = str(raw).strip()
                    if not value:
                        raise SettingError("it must not be empty")
                    if setting == "weight_rule" and value not in _WEIGHT_RULES:
                        raise SettingError(f"Airflow's weight rules are {', '.join(_WEIGHT_RULES)}")
                else:
                    problems.append(
                        f"{where}: unknown Airflow task setting '{setting}'. "
                        f"Known: {', '.join('airflow_' + s for s in TASK_SETTINGS)}, and {ITEMS_PER_TASK_TAG} "
                        "on a Parallelizable[] node."
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


def parse_items_per_task(raw: Any) -> int:
    """``"auto"`` (0) or a whole number ≥ 1 of items per mapped instance.

    >>> parse_items_per_task("auto"), parse_items_per_task("16")
    (0, 16)
    """
    if str(raw).strip().lower() == "auto":
        return 0
    return _integer(raw, 1)


def block_chunking(
    graph: FunctionGraph, plan: Plan, tasks: list[AirflowTask], options: CompileOptions, problems: list[str]
) -> dict[str, dict[str, int]]:
    """Per block (by expander): how its items are packed into mapped instances, for the spec's ``chunking``.

    ``items_per_task``: the expander's ``@tag(airflow_items_per_task=...)``, else the compile
    option, else 0 (automatic, sized at run time from the deployment); plus the least
    ``max_active_tis_per_dag`` of the tasks mapped over the block, which caps its concurrency.
    """
    default = 0
    if options.items_per_task is not None:
        try:
            default = parse_items_per_task(options.items_per_task)
        except ValueError as error:
            problems.append(f"--items-per-task {options.items_per_task!r}: {error}; use a number >= 1 or 'auto'.")
    for name, node in graph.nodes.items():
        if ITEMS_PER_TASK_TAG in node.tags and not node.is_expander and name in plan.producer:
            problems.append(
                f"@tag({ITEMS_PER_TASK_TAG}=...) on '{name}' ({node.where}): it sets how a Parallelizable[] "
                "block's items are packed, so it goes on the function that returns Parallelizable[]."
            )
    caps: dict[str, int] = {}
    task_of = {t.task_id: t for t in tasks}
    for spec in plan.tasks:
        cap = task_of[spec.name].settings.get("max_active_tis_per_dag") if spec.name in task_of else None
        if spec.path and cap:
            caps[spec.path[-1]] = min(cap, caps.get(spec.path[-1], cap))
    chunking: dict[str, dict[str, int]] = {}
    for spec in plan.tasks:
        for expander in spec.expanders:
            items = default
            raw = graph.nodes[expander].tags.get(ITEMS_PER_TASK_TAG)
            if raw is not None:
                try:
                    items = parse_items_per_task(raw)
                except ValueError as error:
                    where = graph.nodes[expander].where
                    problems.append(f"@tag({ITEMS_PER_TASK_TAG}={raw!r}) on '{expander}' ({where}): {error}.")
            chunking[expander] = {"items_per_task": items}
            if expander in caps:
                chunking[expander]["max_active_tis_per_dag"] = caps[expander]
    return chunking


def _integer(raw: Any, minimum: int | None) -> int:
    if isinstance(raw, bool) or not re.fullmatch(r"\s*-?\d+\s*", str(raw)):
        raise SettingError(f"{raw!r} is not a whole number")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise SettingError(f"it must be at least {minimum}")
    return value


def _boolean(raw: Any) -> bool:
    text = str(raw).strip().lower()
    if text not in _TRUE + _FALSE:
        raise SettingError(f"{raw!r} is not a boolean: use True or False")
    return text in _TRUE


def check_dag_settings(options: CompileOptions, problems: list[str]) -> None:
    """The DAG-level options: dag id, start date, schedule."""
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


def dag_settings(options: CompileOptions) -> dict[str, Any]:
    """The ``@dag`` arguments the options set, as values (a start date is a UTC midnight)."""
    start = datetime.date.fromisoformat(str(options.start_date))
    settings: dict[str, Any] = {
        "schedule": options.schedule,
        "start_date": datetime.datetime(start.year, start.month, start.day, tzinfo=datetime.timezone.utc),
        "catchup": options.catchup,
        "tags": list(options.tags),
    }
    if options.retries is not None:
        settings["default_args"] = {"retries": options.retries}
    return settings
