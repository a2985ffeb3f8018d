"""Pictures of a graph: Graphviz DOT text always; SVG/PNG when the ``dot`` program is installed.

Three views: :func:`to_dot` draws the nodes with each block as a cluster; :func:`to_mermaid`
nests a ``subgraph`` per block, for a README or a pull request, where Mermaid renders without
Graphviz; :func:`plan_to_dot` draws what runs together, one cluster per task of the plan.

>>> import types
>>> from hamilflow.graph import FunctionGraph
>>> m = types.ModuleType("m")
>>> exec("def b(a: int) -> int:\\n    return a", m.__dict__)
>>> print(to_dot(FunctionGraph.from_modules(m)).splitlines()[0])
digraph hamilflow {
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from hamilflow import htypes
from hamilflow.errors import EnvironmentProblem

if TYPE_CHECKING:
    from hamilflow.execution.plan import Plan
    from hamilflow.graph import FunctionGraph


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _edges(graph: FunctionGraph, names: Iterable[str], drawn: set[str]) -> Iterator[tuple[str, str, bool]]:
    """``(from, to, collected)`` for each edge into ``names`` from a node that is drawn."""
    for name in names:
        node = graph.nodes[name]
        for param in node.input_types:
            if param in drawn:
                yield param, name, param in node.collect_params


def to_dot(
    graph: FunctionGraph,
    only: Iterable[str] | None = None,
    highlight: set[str] | None = None,
    overridden: set[str] | None = None,
) -> str:
    """DOT text of ``graph`` (or of the nodes in ``only``); blocks are drawn as clusters."""
    names = graph.sorted(set(only)) if only is not None else list(graph.order)
    highlight, overridden = highlight or set(), overridden or set()
    lines = ["digraph hamilflow {", "  rankdir=LR;", '  node [fontname="Helvetica", shape=box, style=rounded];']
    by_block: dict[tuple[str, ...], list[str]] = {}
    for name in names:
        by_block.setdefault(graph.blocks.path_of(name), []).append(name)
    for path, members in by_block.items():
        indent = "  "
        if path:
            lines.append(f"  subgraph {_quote('cluster_' + '_'.join(path))} {{")
            lines.append(f"    label={_quote('for each ' + ' > '.join(path))}; style=dashed;")
            indent = "    "
        for name in members:
            node = graph.nodes[name]
            # quote each line on its own: ``\\n`` is DOT's line break and must not be escaped
            label = _quote(name)[:-1] + "\\n" + _quote(htypes.type_name(node.type))[1:]
            attrs = [f"label={label}"]
            if node.is_external_input:
                attrs.append("style=dashed")
            if node.is_expander:
                attrs.append("shape=invhouse")
            if node.is_collector:
                attrs.append("shape=house")
            if name in highlight:
                attrs.append("penwidth=3")
            if name in overridden:
                attrs.append('fillcolor="#ffe9a8", style="rounded,filled"')
            lines.append(f"{indent}{_quote(name)} [{', '.join(attrs)}];")
        if path:
            lines.append("  }")
    for param, name, collected in _edges(graph, names, set(names)):
        lines.append(f"  {_quote(param)} -> {_quote(name)}{' [style=bold, label=collect]' if collected else ''};")
    lines.append("}")
    return "\n".join(lines) + "\n"


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
    for param, name, collected in _edges(graph, names, set(names)):
        lines.append(f"  {ids[param]}{' ==>|collect| ' if collected else ' --> '}{ids[name]}")
    return "\n".join(lines) + "\n"


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
    for param, name, collected in _edges(graph, [n for task in plan.tasks for n in task.nodes], drawn):
        lines.append(f"  {_quote(param)} -> {_quote(name)}{' [style=bold, label=collect]' if collected else ''};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(dot: str, output_file_path: str, format: str | None = None) -> Path:
    """Write DOT text, or render it when the path ends in .svg/.png/.pdf (needs Graphviz's ``dot``).

    Without the ``dot`` program, the DOT text is written next to the requested file
    (``<name>.dot``) and a :class:`RuntimeError` explains how to install Graphviz.
    """
    path = Path(output_file_path)
    fmt = format or path.suffix.lstrip(".").lower() or "dot"
    if fmt in ("dot", "gv", "txt"):
        path.write_text(dot)
        return path
    binary = shutil.which("dot")
    if binary is None:
        fallback = path.with_suffix(".dot")
        fallback.write_text(dot)
        raise EnvironmentProblem(
            f"cannot render {path}: Graphviz's 'dot' program is not installed (apt-get install graphviz, "
            f"or brew install graphviz). The DOT text was written to {fallback}."
        )
    subprocess.run([binary, f"-T{fmt}", "-o", str(path)], input=dot.encode(), check=True)
    return path
