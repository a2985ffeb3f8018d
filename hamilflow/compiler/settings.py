"""Airflow settings: task settings from ``@tag(airflow_*=...)``, the DAG's own settings, task ids.

Each translation checks its input on the way, so that everything that would fail inside
Airflow (a bad duration, an unknown setting, an invalid id) is reported at compile time,
naming the node and the tag, before a file is written.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hamilflow.errors import SettingError
from hamilflow.execution.timeouts import TIMEOUT_TAG, node_limit, parse_duration  # one duration rule for both layers
from hamilflow.materializers import SAVER_TAG, TARGET_ARGUMENTS, bound_arguments

if TYPE_CHECKING:
    from hamilflow.compiler.model import AirflowTask
    from hamilflow.compiler.options import CompileOptions
    from hamilflow.execution.plan import Plan
    from hamilflow.graph import FunctionGraph

TASK_ID = re.compile(r"^[\w.-]{1,250}$")  # Airflow's own rule for dag and task ids (KEY_REGEX, 250 characters)

_INTEGER_SETTINGS = ("retries", "priority_weight", "pool_slots", "max_active_tis_per_dag")
_DURATION_SETTINGS = ("retry_delay", "execution_timeout", "max_retry_delay")
_TEXT_SETTINGS = ("owner", "pool", "queue", "weight_rule", "trigger_rule")
_BOOLEAN_SETTINGS = (
    "retry_exponential_backoff",
    "email_on_failure",
    "email_on_retry",
    "depends_on_past",
    "wait_for_downstream",
)
_ADDRESS_SETTINGS = ("email",)  # an address, or a list of them
TASK_SETTINGS = _INTEGER_SETTINGS + _DURATION_SETTINGS + _TEXT_SETTINGS + _BOOLEAN_SETTINGS + _ADDRESS_SETTINGS
# Trigger rules a hamilflow task may take: each runs a task only when no upstream task failed, so every
# value it reads exists. Rules that run it after a failure (all_done, always, one_failed, ...) would
# make it fail again on a missing artifact, far from the cause.
SAFE_TRIGGER_RULES = ("all_success", "none_failed", "none_failed_min_one_success")
# A block setting, on a Parallelizable[] node: how many items each mapped instance of its block runs.
ITEMS_PER_TASK_TAG = "airflow_items_per_task"
# An output setting: the Airflow Asset (a URI) a node's value is; its task declares it as an outlet.
ASSET_TAG = "airflow_asset"
_ASSET_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


@dataclass(frozen=True)
class AssetUri:
    """An Airflow Asset, by URI: a task's outlet, or what a DAG's schedule waits for."""

    uri: str


def asset_problem(uri: Any) -> str | None:
    """Why ``uri`` cannot name an Airflow Asset, or None.

    >>> asset_problem("s3://warehouse/features"), asset_problem("features")[:28]
    (None, "'features' is not an asset U")
    """
    if not isinstance(uri, str) or not _ASSET_URI.match(uri):
        return f"{uri!r} is not an asset URI: write it as scheme://location, e.g. 's3://warehouse/features'"
    if uri.split(":", 1)[0].lower() == "airflow":
        return f"{uri!r}: Airflow keeps the airflow:// scheme for itself; choose another"
    return None


def saver_target(node: Any) -> str | None:
    """Where a saver node (a ``to.*`` materializer, ``@save_to``, ``@datasaver``) writes, as an asset URI.

    Its fixed arguments are the defaults Hamilton binds to the saver's function; a URL stays as it is,
    an absolute path becomes a ``file://`` URI. None for another node, a target read from another
    node, or a relative path (which names a different place on each worker).
    """
    fixed = bound_arguments(node, SAVER_TAG).get("resolved_kwargs")
    if not isinstance(fixed, dict):
        return None
    for key in TARGET_ARGUMENTS:
        target = fixed.get(key)
        if isinstance(target, str) and "://" in target and not asset_problem(target):
            return target
        if isinstance(target, str) and target.startswith("/"):
            return "file://" + target
    return None


def task_assets(graph: FunctionGraph, nodes: tuple[str, ...], problems: list[str]) -> list[AssetUri]:
    """The Assets a task produces: each node's ``@tag(airflow_asset=...)`` (a URI, or a list of URIs), and the
    target of each saver node (see :func:`saver_target`)."""
    assets: list[AssetUri] = []
    for name in nodes:
        node = graph.nodes[name]
        raw = node.tags.get(ASSET_TAG)
        target = saver_target(node) if raw is None else None
        if target is not None and AssetUri(target) not in assets:
            assets.append(AssetUri(target))
        if raw is None:
            continue
        for uri in raw if isinstance(raw, (list, tuple)) else [raw]:
            problem = asset_problem(uri)
            if problem:
                problems.append(f"@tag({ASSET_TAG}={raw!r}) on '{name}' ({node.where}): {problem}.")
            elif AssetUri(uri) not in assets:
                assets.append(AssetUri(uri))
    return assets


@dataclass(frozen=True)
class Callback:
    """An Airflow callback setting, by import path (``"package.module:function"``); the file imports it lazily."""

    path: str


_WEIGHT_RULES = ("downstream", "upstream", "absolute")
_MINIMUM = {"retries": 0, "pool_slots": 1, "max_active_tis_per_dag": 1}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_PRESETS = ("@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually")


def task_setting(setting: str, raw: Any) -> Any:
    """The value of the Airflow task setting ``setting`` (one of :data:`TASK_SETTINGS`) written as ``raw``.

    Used for ``@tag(airflow_<setting>=...)`` and for a DAG's ``default_args``; raises
    ``SettingError`` (a ``ValueError``) saying what is wrong.

    >>> task_setting("retry_delay", "5m"), task_setting("owner", "data-eng")
    (datetime.timedelta(seconds=300), 'data-eng')
    """
    if setting in _INTEGER_SETTINGS:
        return _integer(raw, _MINIMUM.get(setting))
    if setting in _DURATION_SETTINGS:
        value = parse_duration(raw)
        if setting == "execution_timeout" and not value:
            raise SettingError("an execution timeout of 0 would fail every run; use a positive duration")
        return value
    if setting in _BOOLEAN_SETTINGS:
        return _boolean(raw)
    if setting in _ADDRESS_SETTINGS:
        return _addresses(raw)
    if setting in _TEXT_SETTINGS:
        text = str(raw).strip()
        if not text:
            raise SettingError("it must not be empty")
        if setting == "weight_rule" and text not in _WEIGHT_RULES:
            raise SettingError(f"Airflow's weight rules are {', '.join(_WEIGHT_RULES)}")
        if setting == "trigger_rule" and text not in SAFE_TRIGGER_RULES:
            raise SettingError(
                f"hamilflow tasks take the trigger rules {', '.join(SAFE_TRIGGER_RULES)}: a task that runs after "
                "an upstream failure would fail again on a value that was never written"
            )
        return text
    raise SettingError(f"unknown Airflow task setting '{setting}'{_did_you_mean(setting, TASK_SETTINGS)}")


def _did_you_mean(word: str, known: Any) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def task_settings(graph: FunctionGraph, nodes: tuple[str, ...], problems: list[str]) -> dict[str, Any]:
    """Airflow task settings from the nodes' ``airflow_*`` tags (merged over a group's nodes)."""
    settings: dict[str, Any] = {}
    for name in nodes:
        node = graph.nodes[name]
        for key, raw in node.tags.items():
            if not key.startswith("airflow_") or key in (ITEMS_PER_TASK_TAG, ASSET_TAG):
                continue
            setting = key[len("airflow_") :]
            where = f"@tag({key}={raw!r}) on '{name}' ({node.where})"
            if setting not in TASK_SETTINGS:
                problems.append(
                    f"{where}: unknown Airflow task setting '{setting}'.{_did_you_mean(setting, TASK_SETTINGS)} "
                    f"Known: {', '.join('airflow_' + s for s in TASK_SETTINGS)}, and {ITEMS_PER_TASK_TAG} "
                    "on a Parallelizable[] node."
                )
                continue
            try:
                value: Any = task_setting(setting, raw)
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
    if "execution_timeout" not in settings:
        _timeout_from_tags(graph, nodes, settings, problems)
    return settings


def _timeout_from_tags(
    graph: FunctionGraph, nodes: tuple[str, ...], settings: dict[str, Any], problems: list[str]
) -> None:
    """``@tag(timeout=...)`` as the task's ``execution_timeout``: the sum over its nodes, which run one after another.

    Not for a task inside a Parallelizable[] block: a mapped instance may run several items
    (packed mapping), so its time is not known here; the runtime enforces each node's limit
    per item instead (:mod:`hamilflow.execution.timeouts`).
    """
    total = 0.0
    for name in nodes:
        node = graph.nodes[name]
        if TIMEOUT_TAG not in node.tags:
            continue
        try:
            total += node_limit(node) or 0.0
        except ValueError as error:
            problems.append(f"{error}")
            return
        if graph.blocks.path_of(name):
            return
    if total:
        settings["execution_timeout"] = datetime.timedelta(seconds=total)


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


def _addresses(raw: Any) -> str | list[str]:
    """An email address, or a list of them (as Airflow's ``email`` takes them).

    >>> _addresses("ops@example.com"), _addresses(["a@example.com", "b@example.com"])
    ('ops@example.com', ['a@example.com', 'b@example.com'])
    """
    many = isinstance(raw, (list, tuple))
    addresses = list(raw) if many else [raw]
    for address in addresses:
        if not isinstance(address, str) or not re.fullmatch(r"[^@\s,;]+@[^@\s,;]+", address.strip()):
            raise SettingError(
                f"{address!r} is not an email address: give one, or a list of them, e.g. ['ops@example.com']"
            )
    if many and not addresses:
        raise SettingError("the list of addresses is empty; leave the setting out instead")
    return [a.strip() for a in addresses] if many else addresses[0].strip()


def _boolean(raw: Any) -> bool:
    text = str(raw).strip().lower()
    if text not in _TRUE + _FALSE:
        raise SettingError(f"{raw!r} is not a boolean: use True or False")
    return text in _TRUE


CALLBACKS = ("on_failure_callback", "on_success_callback", "on_retry_callback", "on_execute_callback")
# What a DAG's default_args may set: every task setting a tag may set, and the task callbacks.
DEFAULT_ARGS = TASK_SETTINGS + CALLBACKS
_DAG_LIMITS = ("max_active_runs", "max_active_tasks", "max_consecutive_failed_dag_runs")
_DAG_CALLBACKS = ("on_failure_callback", "on_success_callback")
_DAG_TEXTS = ("description", "doc_md", "dag_display_name")
_DAG_FLAGS = ("is_paused_upon_creation", "fail_fast")


def check_callback(path: Any, what: str, problems: list[str]) -> None:
    """A callback's import path must name something callable (imported now, as Airflow will)."""
    from hamilflow.runtime.imports import resolve

    try:
        found = resolve(path, what)
    except SettingError as error:
        problems.append(str(error))
        return
    if not callable(found):
        problems.append(
            f"{what} {path!r} names a value of type {type(found).__name__}, not a function Airflow can call."
        )


def check_adapters(paths: Any, problems: list[str]) -> None:
    """Each adapter path must name a Hamilton lifecycle adapter, or a function of no argument returning some."""
    from hamilflow.runtime.imports import adapters_from

    if not isinstance(paths, (list, tuple)):
        problems.append(f"adapters {paths!r}: give a list of import paths, e.g. ['my_project.hooks:timing'].")
        return
    for path in paths:
        try:
            adapters_from(path)
        except SettingError as error:
            problems.append(str(error))


def check_dag_options(options: CompileOptions, problems: list[str]) -> None:
    """The DAG-level Airflow settings: limits, timeout, description, default_args, callbacks, adapters."""
    from hamilflow.frontend import import_modules

    import_modules([])  # callbacks and adapters import as the pipeline's modules do: the current folder first
    for name in _DAG_LIMITS:
        raw = getattr(options, name)
        if raw is not None:
            try:
                _integer(raw, 1)
            except ValueError as error:
                problems.append(f"{name} {raw!r}: {error}.")
    if options.dagrun_timeout is not None:
        try:
            if not parse_duration(options.dagrun_timeout):
                raise SettingError("a timeout of 0 would fail every run; use a positive duration")
        except ValueError as error:
            problems.append(f"dagrun_timeout {options.dagrun_timeout!r}: {error}.")
    for name in _DAG_TEXTS:
        raw = getattr(options, name)
        if raw is not None and (not isinstance(raw, str) or (name == "dag_display_name" and not raw.strip())):
            problems.append(f"{name} {raw!r}: give text{' that is not empty' if isinstance(raw, str) else ''}.")
    for name in _DAG_FLAGS:
        raw = getattr(options, name)
        if raw is not None and not isinstance(raw, bool):
            problems.append(f"{name} {raw!r}: give true or false.")
    _check_owner_links(options.owner_links, problems)
    if not isinstance(options.tags, (list, tuple)) or not all(isinstance(t, str) and t for t in options.tags):
        problems.append(f"tags {options.tags!r}: give a list of words, e.g. ['features', 'daily'].")
    for name in _DAG_CALLBACKS:
        if getattr(options, name) is not None:
            check_callback(getattr(options, name), name, problems)
    if not isinstance(options.default_args, dict):
        problems.append(f"default_args {options.default_args!r}: give a table of task settings, e.g. {{owner = 'x'}}.")
    else:
        if "retries" in options.default_args and options.retries is not None:
            problems.append("retries is set twice, as retries and in default_args: keep one.")
        for key, raw in options.default_args.items():
            if key in CALLBACKS:
                check_callback(raw, f"default_args {key}", problems)
            elif key not in DEFAULT_ARGS:
                problems.append(
                    f"default_args: unknown task setting '{key}'.{_did_you_mean(key, DEFAULT_ARGS)} "
                    f"Known: {', '.join(DEFAULT_ARGS)}."
                )
            else:
                try:
                    task_setting(key, raw)
                except ValueError as error:
                    problems.append(f"default_args {key} = {raw!r}: {error}.")
    check_adapters(options.adapters, problems)


def check_dag_settings(options: CompileOptions, problems: list[str]) -> None:
    """The DAG-level options: dag id, start date, schedule, and the settings of :func:`check_dag_options`."""
    check_dag_options(options, problems)
    if not isinstance(options.dag_id, str) or not TASK_ID.fullmatch(options.dag_id):
        problems.append(
            f"dag id {options.dag_id!r} is not valid in Airflow (letters, digits, '_', '.', '-'; at most 250 "
            "characters): choose another --dag-id."
        )
    try:
        start = datetime.date.fromisoformat(str(options.start_date))
    except ValueError:
        start = None
        problems.append(f"start date {options.start_date!r} is not a date: use YYYY-MM-DD (--start-date 2024-01-01).")
    if options.end_date is not None:
        try:
            end = datetime.date.fromisoformat(str(options.end_date))
        except ValueError:
            problems.append(f"end_date {options.end_date!r} is not a date: use YYYY-MM-DD, e.g. end_date = 2025-12-31.")
        else:
            if start is not None and end < start:
                problems.append(
                    f"end_date {end} is before start_date {start}: the DAG would never run; move one of them."
                )
    schedule = options.schedule
    if isinstance(schedule, (list, tuple)) or (isinstance(schedule, str) and "://" in schedule):
        uris = [schedule] if isinstance(schedule, str) else list(schedule)
        for uri in uris:
            problem = asset_problem(uri)
            if problem:
                problems.append(f"schedule: {problem}.")
        if not uris:
            problems.append("schedule []: name the assets the DAG runs after, or leave schedule out.")
    elif schedule is not None:
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


def _check_owner_links(links: Any, problems: list[str]) -> None:
    """``owner_links``: a table of owner -> link, each an ``http(s)://`` or ``mailto:`` link, as Airflow requires."""
    from urllib.parse import urlsplit

    if links is None:
        return
    if not isinstance(links, dict) or not links:
        problems.append(
            f"owner_links {links!r}: give a table of owner = link, e.g. {{ data-eng = 'https://wiki/team' }}."
        )
        return
    for owner, link in links.items():
        parts = urlsplit(link) if isinstance(link, str) else None
        if parts is None or not (parts.path if parts.scheme == "mailto" else parts.scheme and parts.netloc):
            problems.append(
                f"owner_links {owner} = {link!r}: Airflow takes a link with a scheme and a host "
                "('https://wiki.example.com/data-eng') or a 'mailto:team@example.com'."
            )


def check_task_settings(tasks: list[AirflowTask], options: CompileOptions, problems: list[str]) -> None:
    """The DAG settings that depend on its tasks: a ``fail_fast`` DAG takes only tasks that run on all_success.

    Airflow refuses to load a ``fail_fast`` DAG with any other trigger rule; a hamilflow task after a
    Parallelizable[] block runs on none_failed (so that an empty block still reaches its collector).
    """
    if not options.fail_fast:
        return
    default = (
        options.default_args.get("trigger_rule", "all_success")
        if isinstance(options.default_args, dict)
        else "all_success"
    )
    others = [
        t.airflow_id
        for t in tasks
        if not t.run_hook and t.settings.get("trigger_rule", default) != "all_success"  # a teardown is allowed
    ]
    if others:
        problems.append(
            f"fail_fast = true: Airflow runs a fail_fast DAG only if every task has the trigger rule all_success, "
            f"and {', '.join(others)} {'does' if len(others) == 1 else 'do'} not (a task after a Parallelizable[] "
            "block runs when no upstream task failed; a trigger_rule in @tag or default_args sets another). Leave "
            "fail_fast out for this DAG."
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


def _schedule(schedule: Any) -> Any:
    """A cron expression or preset as it is; asset URIs (one, or a list) as the Assets the DAG runs after."""
    if isinstance(schedule, str) and "://" in schedule:
        return [AssetUri(schedule)]
    if isinstance(schedule, (list, tuple)):
        return [AssetUri(uri) for uri in schedule]
    return schedule


def dag_settings(options: CompileOptions) -> dict[str, Any]:
    """The ``@dag`` arguments the options set, as values (a start date is a UTC midnight)."""
    start = datetime.date.fromisoformat(str(options.start_date))
    settings: dict[str, Any] = {
        "schedule": _schedule(options.schedule),
        "start_date": datetime.datetime(start.year, start.month, start.day, tzinfo=datetime.timezone.utc),
    }
    if options.end_date is not None:
        end = datetime.date.fromisoformat(str(options.end_date))
        settings["end_date"] = datetime.datetime(end.year, end.month, end.day, tzinfo=datetime.timezone.utc)
    settings.update(catchup=options.catchup, tags=list(options.tags))
    for name in _DAG_TEXTS:
        if getattr(options, name):
            settings[name] = getattr(options, name)
    for name in _DAG_FLAGS:
        if getattr(options, name) is not None:
            settings[name] = getattr(options, name)
    if options.owner_links:
        settings["owner_links"] = dict(options.owner_links)
    for name in _DAG_LIMITS:
        if getattr(options, name) is not None:
            settings[name] = _integer(getattr(options, name), 1)
    if options.dagrun_timeout is not None:
        settings["dagrun_timeout"] = parse_duration(options.dagrun_timeout)
    for name in _DAG_CALLBACKS:
        if getattr(options, name):
            settings[name] = Callback(getattr(options, name))
    default_args = {
        key: Callback(raw) if key in CALLBACKS else task_setting(key, raw) for key, raw in options.default_args.items()
    }
    if options.retries is not None:
        default_args["retries"] = options.retries
    if default_args:
        settings["default_args"] = dict(sorted(default_args.items()))
    return settings
