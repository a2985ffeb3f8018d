"""``hamilflow validate``: every problem of a pipeline at once, and an exit code for CI.

The graph is built as the Driver builds it (every problem of the functions is listed, not
the first), then the request is checked: the outputs exist, the ``--input`` values fit
their annotations, no required input is missing. Inputs named like Airflow context values
count as given, since Airflow fills them. ``--airflow`` adds what would stop
``hamilflow compile``. Exit 0 when valid, 1 with the numbered problems when not.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from hamilflow import cli_inputs
from hamilflow.errors import GraphError, HamilflowError, SettingError


def command(args: argparse.Namespace) -> int:
    """Every problem of the pipeline (and of the request, when outputs or inputs are given); exit 1 if any."""
    from hamilflow.driver import Builder

    problems: list[str] = []
    dr = None
    try:
        modules = cli_inputs.import_modules(args.module)
        dr = Builder().with_modules(*modules).with_config(cli_inputs.untyped(args.config, "--config")).build()
    except GraphError as error:
        problems += error.problems
    except HamilflowError as error:
        problems.append(str(error))
    if dr is not None:
        graph = dr.graph
        outputs = args.output_var or graph.leaves()
        inputs: dict[str, Any] = {}
        for key, text in cli_inputs.pairs(args.input, "--input").items():
            try:
                inputs.update(cli_inputs.typed_values({key: text}, graph, "--input"))
            except SettingError as error:
                problems.append(str(error))
        # inputs Airflow fills from the run count as given, with the values of a daily run
        needed = set(graph.needed_for(outputs))
        inputs.update(cli_inputs.context_for(graph, needed, args.logical_date, "validate", inputs))
        try:
            dr.validate_execution(outputs, inputs=inputs)
        except GraphError as error:
            problems += cli_inputs.in_command_line_terms(error.problems)
        if args.airflow and not problems:
            problems += _compile_problems(args, outputs)
    if problems:
        count = len(problems)
        print(f"{', '.join(args.module)}: not valid ({count} problem{'s' if count != 1 else ''}):", file=sys.stderr)
        for index, problem in enumerate(problems, 1):
            print(f"  {index}. {problem}", file=sys.stderr)
        return 1
    functions = sum(1 for node in dr.graph.nodes.values() if not node.is_external_input)
    print(f"{', '.join(args.module)}: valid ({functions} nodes; outputs {', '.join(outputs)})")
    return 0


def _compile_problems(args: argparse.Namespace, outputs: Sequence[str]) -> list[str]:
    """What would stop ``hamilflow compile`` (``validate --airflow``); nothing is written."""
    from hamilflow.compiler import CompileOptions, compile_pipeline

    try:
        options = CompileOptions(
            modules=args.module,
            dag_id=args.dag_id or "validate",
            final_vars=list(outputs),
            config=cli_inputs.untyped(args.config, "--config"),
            params=cli_inputs.param_defaults(args.param, args.module, args.config),
        )
        compile_pipeline(options)
    except SettingError as error:  # a --param that does not fit its input
        return [str(error)]
    except GraphError as error:
        return [f"on Airflow: {problem}" for problem in error.problems]
    return []
