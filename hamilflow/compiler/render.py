"""Writing the DAG file: a plain ``airflow.sdk`` TaskFlow DAG, formatted as ``ruff format`` formats it.

The file reads top to bottom: its ``SPEC`` (what the runtime rebuilds, and the options it
was compiled with), the ``@dag`` with its settings and params, one decorated function per
task, then the wiring: each task called once (a mapped task ``.expand()``-ed over the
chunks of its block), and a line per task naming the tasks it runs after. A task function
takes no argument but its ``chunk`` when mapped; its body is one call to the runtime, and
only a task that lists a block's chunks returns anything to XCom.

This module formats an :class:`~hamilflow.compiler.model.AirflowDag`; which tasks exist,
what they wait for and how they are set up is decided in :mod:`hamilflow.compiler.model`.
"""

from __future__ import annotations

import datetime
import keyword
import unicodedata
from typing import Any

from hamilflow.compiler.model import AirflowDag, AirflowTask
from hamilflow.compiler.pyformat import (
    Bracket,
    Code,
    Labeled,
    Piece,
    Text,
    call,
    comment,
    docstring,
    flat,
    lay_out,
    operation,
    value,
)
from hamilflow.compiler.settings import AssetUri, Callback

# Names the file defines or imports at module level: no function or variable of the DAG may hide them.
MODULE_NAMES = frozenset(
    {
        "dag",
        "task",
        "Param",
        "TaskGroup",
        "datetime",
        "pipeline",
        "CompiledPipeline",
        "callback",
        "Asset",
        "SPEC",
        "chunk",
        "setup",
        "teardown",
    }
)
_AMBIGUOUS = {"l", "I", "O"}  # pycodestyle's E741/E743


def _identifier(text: str) -> str:
    """A Python name for an id, ASCII letters lower-cased: a letter outside ASCII is kept when Python reads it
    as itself (``größe``, ``数量``); one Python folds into another (``ｔａｓｋ`` is read as ``task``, which could
    hide a name the file uses) becomes ``_``, as does every character that cannot be in a name."""
    ident = "".join(_name_character(c) for c in text)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    return ident + "_" if keyword.iskeyword(ident) or ident in _AMBIGUOUS else ident


def _name_character(char: str) -> str:
    if char.isascii():
        return char.lower() if char.isalnum() or char == "_" else "_"
    return char if ("_" + char).isidentifier() and unicodedata.normalize("NFKC", char) == char else "_"


def _unique(name: str, taken: set[str], suffix: str = "_") -> str:
    while name in taken:
        name += suffix
    taken.add(name)
    return name


def _number(amount: float) -> str:
    return str(int(amount)) if amount == int(amount) else repr(amount)


def _piece(obj: Any) -> Piece:
    """The literal of a setting or param value; dates (in UTC) and durations through the ``datetime`` module."""
    if isinstance(obj, datetime.datetime):
        obj = obj.astimezone(datetime.timezone.utc)
        fields = [obj.year, obj.month, obj.day] + (
            [obj.hour, obj.minute, obj.second] if obj.time() != datetime.time() else []
        )
        return Code(f"datetime.datetime({', '.join(map(str, fields))}, tzinfo=datetime.timezone.utc)")
    if isinstance(obj, datetime.timedelta):
        return Code(f"datetime.timedelta(seconds={_number(obj.total_seconds())})")
    if isinstance(obj, Callback):
        return call("callback", Text(obj.path))
    if isinstance(obj, AssetUri):
        return call("Asset", Text(obj.uri))
    if isinstance(obj, dict):
        return Bracket("{", tuple(Labeled(f"{_key(k)}: ", _piece(v)) for k, v in obj.items()), "}")
    if isinstance(obj, list):
        return Bracket("[", tuple(_piece(v) for v in obj), "]")
    return value(obj)


def _key(key: Any) -> str:
    return flat(value(key))


class _Names:
    """The Python names of a DAG file: the DAG function, task functions, TaskGroups, task instances."""

    def __init__(self, dag: AirflowDag) -> None:
        taken = set(MODULE_NAMES)
        self.dag_function = _unique(_identifier(dag.dag_id), taken, "_dag")
        self.dag_variable = _unique(self.dag_function + "_dag", taken)
        self.function = {t.task_id: _unique(_identifier(t.task_id), taken, "_task") for t in dag.tasks}
        self.group = {path: _unique(_identifier("_".join(path)) + "_group", taken) for path in dag.groups}
        referenced = {u for t in dag.tasks for u in t.upstream} | {t.mapped_over for t in dag.tasks}
        referenced |= {t.task_id for t in dag.tasks if t.upstream}
        self.instance = {
            t.task_id: _unique(self.function[t.task_id] + ("_chunks" if t.returns_chunks else "_task"), taken)
            for t in dag.tasks
            if t.task_id in referenced
        }


def render(dag: AirflowDag) -> str:
    """The DAG file's text."""
    names = _Names(dag)
    lines = [*docstring(dag.documentation), ""]
    for line in dag.header:
        lines += comment(line, 0)
    uses_assets = _has(AssetUri, dag.settings) or any(_has(AssetUri, t.settings) for t in dag.tasks)
    hooks = any(t.run_hook for t in dag.tasks)
    sdk = ["Asset"] * uses_assets + ["Param"] * bool(dag.params) + ["TaskGroup"] * bool(dag.groups) + ["dag"]
    sdk += ["setup", "task", "teardown"] if hooks else ["task"]
    lines += [
        "",
        "import datetime",
        "",
        f"from airflow.sdk import {', '.join(sdk)}",
        "",
        f"from hamilflow.runtime.airflow import CompiledPipeline{', callback' * _has(Callback, dag.settings)}",
        "",
        *lay_out(Labeled("SPEC = ", _piece(dag.spec))),
        "pipeline = CompiledPipeline(SPEC)",
        "",
        "",
        *_dag_decorator(dag, names),
        f"def {names.dag_function}():",
    ]
    for path, variable in names.group.items():
        parent = {"parent_group": Code(names.group[path[:-1]])} if len(path) > 1 else {}
        lines += lay_out(Labeled(f"{variable} = ", call("TaskGroup", group_id=Text(path[-1]), **parent)), 4)
    if names.group:
        lines.append("")
    for t in dag.tasks:
        lines += _task_function(t, names)
        lines.append("")
    lines += _wiring(dag, names)
    lines += ["", "", f"{names.dag_variable} = {names.dag_function}()", ""]
    return "\n".join(lines)


def _has(kind: type, settings: Any) -> bool:
    """Whether a value of ``kind`` is among ``settings`` (in dicts and lists too): the file then imports its name."""
    if isinstance(settings, kind):
        return True
    if isinstance(settings, dict):
        return any(_has(kind, v) for v in settings.values())
    return isinstance(settings, list) and any(_has(kind, v) for v in settings)


def _dag_decorator(dag: AirflowDag, names: _Names) -> list[str]:
    arguments: dict[str, Piece] = {}
    if names.dag_function != dag.dag_id:
        arguments["dag_id"] = Text(dag.dag_id)
    # the DAG's doc_md is the file's docstring, which holds the options' doc_md (see AirflowDag.documentation)
    arguments.update({key: _piece(setting) for key, setting in dag.settings.items() if key != "doc_md"})
    if dag.params:
        entries = []
        for p in dag.params:
            typed = {"type": value(p.json_type)} if p.json_type else {}
            entries.append(
                Labeled(f"{_key(p.name)}: ", call("Param", value(p.default), **typed, description=Text(p.description)))
            )
        arguments["params"] = Bracket("{", tuple(entries), "}")
    arguments["doc_md"] = Code("__doc__")
    return lay_out(call("@dag", **arguments))


def _task_function(t: AirflowTask, names: _Names) -> list[str]:
    function = names.function[t.task_id]
    arguments: dict[str, Piece] = {}
    if (t.local_id or t.task_id) != function:
        arguments["task_id"] = Text(t.local_id or t.task_id)
    if t.group:
        arguments["task_group"] = Code(names.group[t.group])
    arguments.update({key: _piece(setting) for key, setting in t.settings.items()})
    if t.doc:
        arguments["doc_md"] = Text(t.doc)
    lines = lay_out(call("@task", **arguments), 4) if arguments else ["    @task"]
    if t.run_hook:  # Airflow's setup and teardown decorators take no settings: they wrap a @task
        lines.insert(0, "    @setup" if t.run_hook == "started" else "    @teardown")
    lines.append(f"    def {function}({'chunk' if t.mapped_over else ''}):")
    if t.run_hook:
        return [*lines, f"        pipeline.run_{t.run_hook}()"]
    if t.reads:
        lines += comment(f"Reads {', '.join(t.reads)}.", 8)
    if t.lists_items:
        runtime_call = call("pipeline.items", Text(t.runs))
    else:
        runtime_call = call("pipeline.run", Text(t.runs), *([Code("chunk")] if t.mapped_over else []))
    lines += lay_out(runtime_call, 8, "return " if t.returns_chunks else "")
    return lines


def _wiring(dag: AirflowDag, names: _Names) -> list[str]:
    """Each task called once, in dependency order; then each task's upstream tasks, in the same order."""
    lines = ["    # Each task, called once: a mapped task runs once per chunk of its block's items."]
    for t in dag.tasks:
        function = names.function[t.task_id]
        if t.mapped_over:
            created: Piece = call(f"{function}.expand", chunk=Code(names.instance[t.mapped_over]))
        else:
            created = Code(f"{function}()")
        before = f"{names.instance[t.task_id]} = " if t.task_id in names.instance else ""
        lines += lay_out(created, 4, before)
    edges = [t for t in dag.tasks if t.upstream]
    if edges:
        lines += ["", "    # Each task after the tasks whose results it reads."]
    for t in edges:
        upstream = [Code(names.instance[u]) for u in t.upstream]
        left = upstream[0] if len(upstream) == 1 else Bracket("[", tuple(upstream), "]")
        lines += operation(left, ">>", names.instance[t.task_id], 4)
    return lines
