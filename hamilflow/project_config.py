"""A project's compiled DAGs, configured in ``pyproject.toml`` (or ``hamilflow.toml``) and reviewed like code.

Each table ``[tool.hamilflow.dags.<dag_id>]`` says what to compile (modules, outputs,
config, params) and every Airflow setting of the DAG: schedule, start date, limits,
timeouts, description, tags, callbacks by import path, the tasks' ``default_args`` and
lifecycle adapters. ``hamilflow compile`` with no arguments compiles each of them, and
``hamilflow compile --check`` tells whether each file is what compiling would write now.
A ``hamilflow.toml`` holds the same tables without the ``tool.hamilflow.`` prefix.

.. code-block:: toml

    [tool.hamilflow]
    dags_folder = "airflow_dags"

    [tool.hamilflow.dags.features]
    modules = ["examples.features.pipeline"]
    outputs = ["features"]
    schedule = "@daily"                 # or the assets it runs after: ["s3://warehouse/orders"]
    max_active_runs = 1
    dagrun_timeout = "2h"
    on_failure_callback = "my_project.alerts:page_the_team"
    default_args = { owner = "data-eng", retries = 2, retry_delay = "5m" }

Every key is checked when the file is read; an unknown one is named with the key it is
closest to.

    >>> project = read_project_text('[tool.hamilflow.dags.d]\\nmodules = ["m"]\\n', "pyproject.toml")
    >>> project.dags["d"].modules, project.dags["d"].output_path
    (['m'], 'airflow_dags/d.py')
"""

from __future__ import annotations

import datetime
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from hamilflow.compiler.options import CompileOptions
from hamilflow.compiler.settings import DEFAULT_ARGS
from hamilflow.errors import SettingError

__all__ = ["Project", "read_project", "read_project_text", "PYPROJECT", "HAMILFLOW_TOML"]

PYPROJECT = "pyproject.toml"
HAMILFLOW_TOML = "hamilflow.toml"
_PROJECT_KEYS = ("dags_folder", "dags")

# key -> (what it must be, the CompileOptions field it fills)
_LIST_OF_TEXT = "a list of text"
_DAG_KEYS: dict[str, tuple[str, str]] = {
    "modules": (_LIST_OF_TEXT, "modules"),
    "outputs": (_LIST_OF_TEXT, "final_vars"),
    "config": ("a table", "config"),
    "params": ("a table", "params"),
    "schedule": ("a cron expression, a preset or a list of asset URIs", "schedule"),
    "start_date": ("a date", "start_date"),
    "catchup": ("true or false", "catchup"),
    "retries": ("a whole number", "retries"),
    "grouping": ("text", "grouping"),
    "store_url": ("text", "store_url"),
    "items_per_task": ("a whole number or 'auto'", "items_per_task"),
    "output": ("text", "output"),
    "tags": (_LIST_OF_TEXT, "tags"),
    "description": ("text", "description"),
    "doc_md": ("text", "doc_md"),
    "dag_display_name": ("text", "dag_display_name"),
    "end_date": ("a date", "end_date"),
    "is_paused_upon_creation": ("true or false", "is_paused_upon_creation"),
    "owner_links": ("a table", "owner_links"),
    "max_consecutive_failed_dag_runs": ("a whole number", "max_consecutive_failed_dag_runs"),
    "fail_fast": ("true or false", "fail_fast"),
    "max_active_runs": ("a whole number", "max_active_runs"),
    "max_active_tasks": ("a whole number", "max_active_tasks"),
    "dagrun_timeout": ("a duration", "dagrun_timeout"),
    "default_args": ("a table", "default_args"),
    "on_failure_callback": ("text", "on_failure_callback"),
    "on_success_callback": ("text", "on_success_callback"),
    "adapters": (_LIST_OF_TEXT, "adapters"),
    "materializers": (_LIST_OF_TEXT, "materializers"),
    "cache": ("true, false or a table", "cache"),
}


@dataclass
class Project:
    """The DAGs a project configures: their compile options by dag id, and the file they come from."""

    path: Path
    dags: dict[str, CompileOptions] = field(default_factory=dict)
    dags_folder: str = "airflow_dags"

    def table(self, dag_id: str) -> str:
        """Where a DAG's settings are, in words: ``[tool.hamilflow.dags.features] of pyproject.toml``."""
        prefix = "" if self.path.name == HAMILFLOW_TOML else "tool.hamilflow."
        return f"[{prefix}dags.{dag_id}] of {self.path}"


def read_project(folder: str | os.PathLike[str] = ".") -> Project | None:
    """The project configured in ``folder``'s ``hamilflow.toml`` or ``pyproject.toml``; None if neither sets DAGs.

    Raises :class:`~hamilflow.errors.SettingError` listing every problem of the settings.
    """
    folder = Path(folder)
    found = []
    for name in (HAMILFLOW_TOML, PYPROJECT):
        path = folder / name
        if path.is_file():
            project = read_project_text(path.read_text(), path)
            if project is not None:
                found.append(project)
    if len(found) > 1:
        raise SettingError(
            f"both {HAMILFLOW_TOML} and {PYPROJECT} configure hamilflow DAGs in {folder.resolve()}: keep the "
            "settings in one of them."
        )
    return found[0] if found else None


def read_project_text(text: str, path: str | os.PathLike[str]) -> Project | None:
    """The project configured by the TOML ``text`` of the file ``path`` (see :func:`read_project`)."""
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingError(f"{path} is not valid TOML: {error}.") from error
    if path.name != HAMILFLOW_TOML:
        data = data.get("tool", {}).get("hamilflow")
        if data is None:
            return None
    where = "[tool.hamilflow]" if path.name != HAMILFLOW_TOML else "the top level"
    problems: list[str] = []
    for key in data:
        if key not in _PROJECT_KEYS:
            problems.append(f"{path}: unknown key '{key}' in {where}.{_hint(key, _PROJECT_KEYS)}")
    project = Project(path=path)
    folder = data.get("dags_folder", project.dags_folder)
    if not isinstance(folder, str) or not folder:
        problems.append(f"{path}: dags_folder {folder!r} must be the path of a folder, e.g. 'airflow_dags'.")
    else:
        project.dags_folder = folder
    dags = data.get("dags", {})
    if not isinstance(dags, dict):
        problems.append(f"{path}: 'dags' must be a table of DAGs, e.g. [tool.hamilflow.dags.my_dag].")
        dags = {}
    for dag_id, table in dags.items():
        options = _options(project, dag_id, table, problems)
        if options is not None:
            project.dags[dag_id] = options
    if problems:
        count = len(problems)
        raise SettingError(
            f"The hamilflow settings in {path} have {count} problem{'s' * (count != 1)}:\n"
            + "\n".join(f"  {i}. {p}" for i, p in enumerate(problems, 1))
        )
    return project


def _hint(key: str, known: Any) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _options(project: Project, dag_id: str, table: Any, problems: list[str]) -> CompileOptions | None:
    where = project.table(dag_id)
    if not isinstance(table, dict):
        problems.append(f"{where}: must be a table of settings.")
        return None
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in _DAG_KEYS:
            if key in DEFAULT_ARGS:
                hint = f" It is a task setting: put it in default_args, e.g. default_args = {{ {key} = ... }}."
            else:
                hint = _hint(key, _DAG_KEYS) or f" Known keys: {', '.join(_DAG_KEYS)}."
            problems.append(f"{where}: unknown key '{key}'.{hint}")
            continue
        kind, name = _DAG_KEYS[key]
        value = _typed(raw, kind)
        if value is _WRONG:
            problems.append(f"{where}: {key} = {raw!r} must be {kind}.")
            continue
        values[name] = value
    if "modules" not in values:
        problems.append(f"{where}: no modules: say which modules hold the pipeline, e.g. modules = ['my.pipeline'].")
        return None
    if "tags" in values:  # the DAG's tags besides hamilflow's own
        values["tags"] = ["hamilflow", *[t for t in values["tags"] if t != "hamilflow"]]
    values.setdefault("output", f"{project.dags_folder.rstrip('/')}/{dag_id}.py")
    return CompileOptions(dag_id=dag_id, **values)


_WRONG = object()


def _typed(raw: Any, kind: str) -> Any:
    """``raw`` if it is of ``kind`` (the TOML types of a setting), else ``_WRONG``; dates become ISO text."""
    if kind == _LIST_OF_TEXT:
        if isinstance(raw, str):
            return [raw]
        ok = isinstance(raw, list) and all(isinstance(v, str) and v for v in raw)
        return list(raw) if ok else _WRONG
    if kind.startswith("a cron expression"):
        if isinstance(raw, list):
            return list(raw) if all(isinstance(v, str) for v in raw) else _WRONG
        return raw if isinstance(raw, str) else _WRONG
    if kind == "a table":
        return dict(raw) if isinstance(raw, dict) else _WRONG
    if kind == "a date":
        if isinstance(raw, (datetime.date, str)) and not isinstance(raw, datetime.datetime):
            return raw.isoformat() if isinstance(raw, datetime.date) else raw
        return _WRONG
    if kind == "true or false":
        return raw if isinstance(raw, bool) else _WRONG
    if kind == "true, false or a table":
        return raw if isinstance(raw, (bool, dict)) else _WRONG
    if kind == "a whole number":
        return raw if isinstance(raw, int) and not isinstance(raw, bool) else _WRONG
    if kind == "a whole number or 'auto'":
        return raw if (isinstance(raw, int) and not isinstance(raw, bool)) or raw == "auto" else _WRONG
    if kind == "a duration":
        return raw if isinstance(raw, (int, float, str)) and not isinstance(raw, bool) else _WRONG
    return raw if isinstance(raw, str) else _WRONG
