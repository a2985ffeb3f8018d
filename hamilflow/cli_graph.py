"""``hamilflow graph``: the pictures of :mod:`hamilflow.visualize` (DOT, Mermaid, a plan's tasks) from the CLI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hamilflow import cli_inputs
from hamilflow.errors import GraphError, SettingError
from hamilflow.execution import grouping

if TYPE_CHECKING:
    pass


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
        text = visualize.to_mermaid(graph, only)
    elif args.plan:
        outputs = args.output_var or graph.leaves()
        text = visualize.plan_to_dot(graph, build_plan(graph, outputs, grouping=grouping.strategy(args.grouping)))
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
