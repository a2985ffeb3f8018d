"""``hamilflow graph``, and the text pictures it adds: Mermaid flowcharts, and DOT of a plan's tasks.

:func:`hamilflow.visualize.to_dot` draws the graph's nodes with each block as a cluster;
this module adds the two other views the command offers. :func:`to_mermaid` nests a
``subgraph`` per block (a block inside a block sits inside it), for a README or a pull
request, where Mermaid renders without Graphviz. :func:`plan_to_dot` draws what runs
together: one cluster per task of the plan, the way Airflow (or an executor) will run it.

    >>> import types
    >>> from hamilflow.graph import FunctionGraph
    >>> m = types.ModuleType("m")
    >>> exec("def b(a: int) -> int:\\n    return a", m.__dict__)
    >>> print(to_mermaid(FunctionGraph.from_modules(m)).splitlines()[0])
    flowchart LR
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from hamilflow import cli_inputs, htypes
from hamilflow.errors import GraphError, SettingError
from hamilflow.execution import grouping

if TYPE_CHECKING:
    from hamilflow.execution.plan import Plan
    from hamilflow.graph import FunctionGraph


def _mermaid_text(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _mermaid_node(graph: FunctionGraph, name: str, node_id: str) -> str:
    node = graph.nodes[name]
    label = f'"{_mermaid_text(name)}<br/><i>{_mermaid_text(htypes.type_name(node.type))}</i>"'
    if node.is_external_input:
        return f"{node_id}([{label}])"
    if node.is_expander:
        return f"{node_id}[/{label}\\]"
    if node.is_collector:
        return f"{node_id}[\\{label}/]"
    return f"{node_id}[{label}]"


def to_mermaid(graph: FunctionGraph, only: Iterable[str] | None = None) -> str:
    """A Mermaid flowchart of ``graph`` (or of the nodes in ``only``); each block is a nested subgraph.

    Node ids are ``n0``, ``n1``, ... (a node name may hold dots); labels carry the name and type.
    Inputs are rounded, expanders and collectors trapezoids, collecting edges thick.
    """
    names = graph.sorted(set(only)) if only is not None else list(graph.order)
    ids = {name: f"n{i}" for i, name in enumerate(names)}
    lines = ["flowchart LR"]
    members: dict[tuple[str, ...], list[str]] = {}
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for name in names:
        path = graph.blocks.path_of(name)
        members.setdefault(path, []).append(name)
        for depth in range(len(path), 0, -1):  # every enclosing block gets a subgraph, even an empty one
            parent, child = path[: depth - 1], path[:depth]
            if child not in children.setdefault(parent, []):
                children[parent].append(child)

    def emit(path: tuple[str, ...], indent: str) -> None:
        for name in members.get(path, []):
            lines.append(indent + _mermaid_node(graph, name, ids[name]))
        for child in children.get(path, []):
            block_id = "block_" + "__".join(ids.get(p, p) for p in child)
            lines.append(f'{indent}subgraph {block_id}["for each {_mermaid_text(child[-1])}"]')
            emit(child, indent + "  ")
            lines.append(f"{indent}end")

    emit((), "  ")
    kept = set(names)
    for name in names:
        node = graph.nodes[name]
        for param in node.input_types:
            if param in kept:
                arrow = " ==>|collect| " if param in node.collect_params else " --> "
                lines.append(f"  {ids[param]}{arrow}{ids[name]}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plan_to_dot(graph: FunctionGraph, plan: Plan) -> str:
    """DOT text of the plan: one cluster per task (its nodes inside), inputs outside, edges between nodes.

    A task inside a block is labelled with the blocks it is mapped over, as it runs once per item.
    """
    lines = ["digraph hamilflow_plan {", "  rankdir=LR;", '  node [fontname="Helvetica", shape=box, style=rounded];']
    drawn: set[str] = set()
    for index, task in enumerate(plan.tasks):
        mapped = f"\\nmapped over {' > '.join(task.path)}" if task.path else ""
        lines.append(f"  subgraph {_quote(f'cluster_task_{index}')} {{")
        # quoted before the line break is added: DOT's ``\\n`` must not be escaped
        lines.append(f'    label={_quote("task " + task.name)[:-1]}{mapped}"; style=rounded;')
        for name in task.nodes:
            node = graph.nodes[name]
            shape = ", shape=invhouse" if node.is_expander else ", shape=house" if node.is_collector else ""
            label = _quote(name)[:-1] + "\\n" + _quote(htypes.type_name(node.type))[1:]
            lines.append(f"    {_quote(name)} [label={label}{shape}];")
            drawn.add(name)
        lines.append("  }")
    for task in plan.tasks:
        for name in task.external:
            if name not in drawn:
                lines.append(f"  {_quote(name)} [style=dashed];")
                drawn.add(name)
    for task in plan.tasks:
        for name in task.nodes:
            node = graph.nodes[name]
            for param in node.input_types:
                if param in drawn:
                    style = " [style=bold, label=collect]" if param in node.collect_params else ""
                    lines.append(f"  {_quote(param)} -> {_quote(name)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def command(args: Any) -> int:
    """``hamilflow graph``: DOT or Mermaid text to stdout or ``-o``; SVG/PNG/PDF files through Graphviz."""
    from hamilflow import visualize
    from hamilflow.execution.plan import build_plan

    graph = cli_inputs.graph_of(args.module, args.config)
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "") or "dot"
    if fmt in ("mmd", "mermaid") and args.plan:
        raise SettingError("--plan draws the plan's tasks as DOT clusters: use --format dot, svg or png with --plan.")
    only = graph.needed_for(args.output_var) if args.output_var else None
    if args.output_var:
        problems = [graph.unknown_output(name) for name in args.output_var if name not in graph.nodes]
        if problems:
            raise GraphError(problems, header="Cannot draw these outputs")
    if fmt in ("mmd", "mermaid"):
        text = to_mermaid(graph, only)
    elif args.plan:
        outputs = args.output_var or graph.leaves()
        text = plan_to_dot(graph, build_plan(graph, outputs, grouping=grouping.strategy(args.grouping)))
    else:
        text = visualize.to_dot(graph, only)
    if fmt in ("dot", "gv", "mmd", "mermaid") and not args.output:
        sys.stdout.write(text)
        return 0
    if not args.output:
        raise SettingError(f"--format {fmt} writes a file: give its path with -o, e.g. -o pipeline.{fmt}.")
    if fmt in ("mmd", "mermaid"):
        Path(args.output).write_text(text)
    else:
        visualize.write(text, args.output, format=fmt)
    print(f"wrote {args.output}")
    return 0
