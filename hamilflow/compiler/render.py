"""Writing the DAG file: a plain ``airflow.sdk`` TaskFlow DAG, one decorated function per task.

The file lists every task and its settings explicitly and wires them the way values
flow, so a code review of the file shows how the pipeline changed. Task bodies are one
line: they hand the task's name (and, for mapped tasks, their chunk) to the runtime.
"""

from __future__ import annotations

import datetime
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from hamilflow.runtime.airflow import LABEL_VARIABLE

RESERVED = {"dag", "task", "Param", "datetime", "timedelta", "pipeline", "CompiledPipeline", "SPEC"}

# Airflow fills a task function's parameters named like these from the task context (Airflow 3.3's
# KNOWN_CONTEXT_KEYS), so the parameters that only order a task after its upstream never use them.
CONTEXT_KEYS = frozenset(
    """asset_state_store conn dag dag_run data_interval_end data_interval_start ds ds_nodash exception
    expanded_ti_count inlet_events inlets logical_date macros map_index_template outlet_events outlets params
    partition_date partition_key prev_data_interval_end_success prev_data_interval_start_success
    prev_end_date_success prev_start_date_success reason run_id task task_instance task_instance_key_str
    task_reschedule_count task_state_store templates_dict test_mode ti triggering_asset_events try_number ts
    ts_nodash ts_nodash_with_tz var""".split()
)


@dataclass
class AirflowTask:
    """One task of the DAG file, as the renderer needs it."""

    task_id: str
    call: str  # the runtime call in the body
    mapped_over: str | None = None  # task id whose output it expands over
    upstream: list[str] = field(default_factory=list)  # task ids it waits for
    settings: dict[str, Any] = field(default_factory=dict)
    doc: str = ""
    returns_chunks: bool = False
    group: tuple[str, ...] = ()  # the TaskGroup it sits in, outermost first: a namespace of its nodes
    local_id: str = ""  # its id inside that group (Airflow prefixes the group's); the task_id when empty

    @property
    def airflow_id(self) -> str:
        """The task id Airflow shows: the group's path, then the local id."""
        return ".".join((*self.group, self.local_id or self.task_id))


def _identifier(text: str) -> str:
    ident = re.sub(r"\W", "_", text)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    return ident + "_" if keyword.iskeyword(ident) else ident


def _literal(value: Any) -> str:
    if isinstance(value, datetime.timedelta):
        return f"timedelta(seconds={value.total_seconds():g})"
    return repr(value)


def _doc_literal(text: str, indent: str) -> str:
    """A string literal for a task's doc: one line, or one line of Python per line of text."""
    if "\n" not in text:
        return repr(text)
    pieces = [repr(piece) for piece in re.findall(r"[^\n]*\n*", text) if piece]
    return "(\n" + "".join(f"{indent}    {piece}\n" for piece in pieces) + f"{indent})"


def _decorator(arguments: list[str]) -> list[str]:
    """``@task(...)`` on one line when it fits, else one argument per line."""
    line = f"    @task({', '.join(arguments)})"
    if len(line) <= 110 and "\n" not in line:
        return [line]
    return ["    @task("] + [f"        {argument}," for argument in arguments] + ["    )"]


def render(
    *,
    dag_id: str,
    header: list[str],
    options_json: str,
    spec_json: str,
    dag_settings: dict[str, str],
    params: dict[str, tuple[Any, Any, str]],
    tasks: list[AirflowTask],
    doc: str,
) -> str:
    """The DAG file's text. ``params`` maps a name to ``(default, json type, description)``."""
    function_of: dict[str, str] = {}
    taken = set(RESERVED) | {_identifier(dag_id)}
    for t in tasks:
        name = _identifier(t.task_id)
        while name in taken:
            name += "_task"
        taken.add(name)
        function_of[t.task_id] = name
    group_of: dict[tuple[str, ...], str] = {}  # each TaskGroup's variable, parents before children
    for path in sorted({t.group[:depth] for t in tasks for depth in range(1, len(t.group) + 1)}):
        name = _identifier("_".join(path)) + "_group"
        while name in taken:
            name += "_"
        taken.add(name)
        group_of[path] = name
    output_of = {}
    for t in tasks:
        name = function_of[t.task_id] + ("_chunks" if t.returns_chunks else "_out")
        while name in taken:
            name += "_"
        taken.add(name)
        output_of[t.task_id] = name
    consumed = {u for t in tasks for u in t.upstream} | {t.mapped_over for t in tasks if t.mapped_over}
    consumed |= {t.task_id for t in tasks if t.mapped_over and t.upstream}  # needed for `[...] >> x`
    uses_timedelta = any(isinstance(v, datetime.timedelta) for t in tasks for v in t.settings.values())

    lines = ['"""' + doc.replace('"""', "'''").rstrip() + '\n"""', ""]
    lines += [f"# {line}" if line else "#" for line in header]
    lines += [f"# hamilflow-compile: {options_json}", ""]
    lines += ["import datetime"]
    if uses_timedelta:
        lines += ["from datetime import timedelta"]
    lines += [
        "",
        f"from airflow.sdk import {'Param, ' if params else ''}{'TaskGroup, ' if group_of else ''}dag, task",
        "",
        "from hamilflow.runtime.airflow import CompiledPipeline",
        "",
    ]
    lines += [f"SPEC = {spec_json!r}", "pipeline = CompiledPipeline(SPEC)", "", ""]
    lines += ["@dag("]
    lines += [f"    dag_id={dag_id!r},"]
    for key, value in dag_settings.items():
        lines.append(f"    {key}={value},")
    if params:
        lines.append("    params={")
        for name, (default, json_type, description) in params.items():
            type_part = f", type={json_type!r}" if json_type else ""
            lines.append(f"        {name!r}: Param({default!r}{type_part}, description={description!r}),")
        lines.append("    },")
    lines.append("    doc_md=__doc__,")
    lines.append(")")
    lines.append(f"def {_identifier(dag_id)}():")
    for path, name in group_of.items():
        parent = f", parent_group={group_of[path[:-1]]}" if len(path) > 1 else ""
        lines.append(f"    {name} = TaskGroup(group_id={path[-1]!r}{parent})")
    if group_of:
        lines.append("")
    for t in tasks:
        decorator = [f"task_id={(t.local_id or t.task_id)!r}"]
        if t.group:
            decorator.append(f"task_group={group_of[t.group]}")
        if t.mapped_over:
            decorator.append(f'map_index_template="{{{{ {LABEL_VARIABLE} }}}}"')
        decorator += [f"{k}={_literal(v)}" for k, v in t.settings.items()]
        if t.doc:
            decorator.append(f"doc_md={_doc_literal(t.doc, ' ' * 8)}")
        lines += _decorator(decorator)
        if t.mapped_over:
            args = ["chunk"]
        else:
            args = []
            for u in t.upstream:
                arg = function_of[u]
                while arg in CONTEXT_KEYS or arg in args:
                    arg += "_"
                args.append(arg)
        lines.append(f"    def {function_of[t.task_id]}({', '.join(args)}):")
        lines.append(f"        return {t.call}")
        lines.append("")
    for t in tasks:
        target = f"{output_of[t.task_id]} = " if t.task_id in consumed else ""
        if t.mapped_over:
            lines.append(f"    {target}{function_of[t.task_id]}.expand(chunk={output_of[t.mapped_over]})")
            if t.upstream:
                waits = ", ".join(output_of[u] for u in t.upstream)
                waits = waits if len(t.upstream) == 1 else f"[{waits}]"
                lines.append(f"    {waits} >> {output_of[t.task_id]}")
        else:
            args = ", ".join(output_of[u] for u in t.upstream)
            lines.append(f"    {target}{function_of[t.task_id]}({args})")
    lines += ["", "", f"{_identifier(dag_id)}_dag = {_identifier(dag_id)}()", ""]
    return "\n".join(lines)
