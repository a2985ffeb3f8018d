"""Pictures of a graph: Graphviz DOT text always; SVG/PNG when the ``dot`` program is installed.

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
from typing import TYPE_CHECKING, Iterable

from hamilflow import htypes
from hamilflow.errors import EnvironmentProblem

if TYPE_CHECKING:
    from hamilflow.graph import FunctionGraph


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
    kept = set(names)
    for name in names:
        node = graph.nodes[name]
        for param in node.input_types:
            if param in kept:
                style = " [style=bold, label=collect]" if param in node.collect_params else ""
                lines.append(f"  {_quote(param)} -> {_quote(name)}{style};")
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
