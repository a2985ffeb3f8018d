"""The ``hamilflow`` command: compile pipelines to Airflow DAG files, check them, run them, draw them.

hamilflow compile -m examples.word_count.pipeline --dag-id word_count --output-var total_words
hamilflow compile                             # every DAG of pyproject.toml's [tool.hamilflow.dags.*]
hamilflow compile --check                     # would compiling now write other files?
hamilflow run -m examples.word_count.pipeline --output-var total_words --executor processes
hamilflow run -m examples.features.pipeline --logical-date 2024-03-01   # the daily run of that date
hamilflow validate -m examples.features.pipeline   # every problem at once; exit 1 when invalid
hamilflow graph -m examples.nested.pipeline --format mermaid            # blocks as subgraphs
hamilflow airflow-test airflow_dags/word_count.py   # run on an embedded Airflow (SQLite)
hamilflow demo                                # compile word_count and run it on Airflow
hamilflow gc --older-than 30d                 # what old runs would free in the artifact store

Values on the command line are read by the annotation of the input they fill (see
:mod:`hamilflow.cli_inputs`). An error is one paragraph saying what to change; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from typing import Any, Sequence

from hamilflow import cli_compile, cli_gc, cli_graph, cli_inputs, cli_validate
from hamilflow.errors import ExecutionRequestError, GraphError, HamilflowError, SettingError
from hamilflow.execution import grouping
from hamilflow.runtime.context import CONTEXT_INPUTS


def _run_conf(text: str | None) -> dict[str, Any] | None:
    """``airflow-test --conf``: a JSON object of DAG params."""
    if text is None:
        return None
    example = """--conf '{"corpus": "empty"}'"""
    try:
        conf = json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingError(
            f"--conf {text!r} is not valid JSON ({error.msg} at character {error.pos}): write the params as a "
            f"JSON object, with double quotes around names and text, e.g. {example}."
        ) from None
    if not isinstance(conf, dict):
        raise SettingError(
            f"--conf {text!r}: the run conf must be a JSON object of param names to values, not a "
            f"{type(conf).__name__}, e.g. {example}."
        )
    return conf


def _inputs(args: argparse.Namespace, graph: Any, outputs: Sequence[str]) -> dict[str, Any]:
    """``--input`` values typed by their annotations, plus the Airflow context of ``--logical-date``."""
    inputs = cli_inputs.typed_values(cli_inputs.pairs(args.input, "--input"), graph, "--input")
    needed = set(graph.needed_for(outputs))
    if args.logical_date is not None:
        dag_id = args.dag_id or args.module[0].replace(".", "_")
        inputs.update(cli_inputs.context_for(graph, needed, args.logical_date, dag_id, inputs))
        return inputs
    missing = [
        name
        for name in CONTEXT_INPUTS
        if name in needed
        and name not in inputs
        and name not in graph.config
        and any(name in graph.nodes[user].required for user in graph.nodes[name].dependents if user in needed)
    ]
    if missing:
        names = ", ".join(f"'{name}'" for name in missing)
        raise SettingError(
            f"{'input' if len(missing) == 1 else 'inputs'} {names} {'is' if len(missing) == 1 else 'are'} filled by "
            "Airflow from the run: pass --logical-date, e.g. "
            f"--logical-date 2024-03-01, to run as the daily run of that date does, or give "
            f"{'it' if len(missing) == 1 else 'each'} with --input {missing[0]}=VALUE."
        )
    return inputs


def _run(args: argparse.Namespace) -> int:
    from hamilflow import base, driver
    from hamilflow.execution import executors

    modules = cli_inputs.import_modules(args.module)
    remote = {
        "sync": lambda: executors.SynchronousLocalTaskExecutor(),
        "threads": lambda: executors.MultiThreadingExecutor(args.workers),
        "processes": lambda: executors.MultiProcessingExecutor(args.workers),
    }[args.executor]()
    dr = (
        driver.Builder()
        .with_modules(*modules)
        .with_config(cli_inputs.untyped(args.config, "--config"))
        .with_adapters(base.DictResult())
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(remote)
        .with_progress_bar(not args.no_progress)
        .build()
    )
    outputs = args.output_var or dr.graph.leaves()
    try:
        result = dr.execute(outputs, inputs=_inputs(args, dr.graph, outputs))
    except ExecutionRequestError as error:  # told in the command's terms: --input, not inputs={...}
        raise ExecutionRequestError(cli_inputs.in_command_line_terms(error.problems)) from error
    for name, value in result.items():
        print(f"{name} = {value!r}" if "\n" not in repr(value) else f"{name} =\n{value}")
    return 0


def _airflow_test(args: argparse.Namespace) -> int:
    run_conf = _run_conf(args.conf)  # refused before Airflow starts
    day = cli_inputs.logical_date(args.logical_date) if args.logical_date else None
    from hamilflow.embedded_airflow import run_dag_file

    if "" not in sys.path:
        sys.path.insert(0, "")  # pipeline modules import from the current folder, as with `python -m`
    started = time.perf_counter()
    print(f"running {args.file} on an embedded Airflow (SQLite in {args.home}) ...", flush=True)
    try:
        result = run_dag_file(args.file, run_conf=run_conf, logical_date=day, home=args.home)
    except Exception as error:
        if type(error).__name__ != "ParamValidationError":  # Airflow's, named so that Airflow is imported late
            raise
        reason = str(error).strip().splitlines()[0].rstrip(".")
        raise SettingError(
            f"--conf {args.conf!r}: Airflow refuses this run conf: {reason}. Give each param a JSON value of its "
            f"type (the DAG's params are listed in {args.file}), or leave it out to use its default."
        ) from error
    _report(result, time.perf_counter() - started)
    return 0 if result.state == "success" else 1


def _report(result: Any, seconds: float) -> None:
    print(f"DAG {result.dag_id}, run {result.run_id}: {result.state} in {seconds:.1f} s")
    names = [t.task_id + (f"[{t.map_index}]" if t.map_index >= 0 else "") for t in result.tasks]
    width = max(map(len, names), default=0)
    for name, task in zip(names, result.tasks):
        label = task.label if task.label and task.map_index >= 0 else ""
        print(f"  {name:<{width}}  {task.state:<8}  {label}".rstrip())
        if task.error:
            print("      " + task.error.replace("\n", "\n      "))
    if result.outputs:
        print("outputs:")
        for name, value in result.outputs.items():
            print(f"  {name} = {value!r}" if "\n" not in repr(value) else f"  {name} =\n{value}")
    if result.state != "success":
        print(f"Airflow's log: {result.log}")


def _demo(args: argparse.Namespace) -> int:
    from hamilflow.compiler import CompileOptions, compile_pipeline
    from hamilflow.driver import Builder
    from hamilflow.embedded_airflow import run_dag_file

    sys.path.insert(0, "")
    options = CompileOptions(
        modules=["examples.word_count.pipeline"],
        dag_id="word_count",
        final_vars=["total_words"],
        output=f"{args.home}/compiled/word_count.py",
    )
    compiled = compile_pipeline(options)
    path = compiled.write()
    print(f"compiled examples/word_count into {path} ({len(compiled.plan.tasks)} tasks)")
    started = time.perf_counter()
    print(f"running it on an embedded Airflow 3 (SQLite in {args.home}) ...", flush=True)
    result = run_dag_file(path, home=args.home)
    _report(result, time.perf_counter() - started)
    local = Builder().with_modules(importlib.import_module("examples.word_count.pipeline")).build()
    expected = local.raw_execute(["total_words"])
    same = result.outputs == expected
    print(f"local Driver gives {expected}: {'identical' if same else 'DIFFERENT'}")
    return 0 if result.state == "success" and same else 1


def _version() -> str:
    from importlib import metadata

    from hamilflow import __version__

    found = []
    for package in ("apache-hamilton", "apache-airflow"):
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    return f"hamilflow {__version__} ({', '.join(found)}, Python {sys.version.split()[0]})"


_MODULE = "pipeline module, as an import path like examples.word_count.pipeline (repeatable)"
_CONFIG = "NAME=VALUE config entry, VALUE as JSON or text (repeatable); selects @config.when variants"
_OUTPUT_VAR = "output to compute (repeatable; default: every leaf of the pipeline)"
_INPUT = (
    "NAME=VALUE input (repeatable), VALUE read by the parameter's annotation: 2024-03-01 for a date, "
    "ISO text for a datetime, numbers, true/false, JSON for lists and dicts, text as it is, null for Optional"
)
_LOGICAL_DATE = (
    "run as Airflow's daily run of this date (2024-03-01, or an ISO date-time; UTC when no zone is given): "
    "fills the inputs named like Airflow context values (ds, ts, logical_date, data_interval_start, "
    "data_interval_end (+1 day), run_id, ...) as a scheduled @daily run does"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hamilflow",
        description="Compile pipelines to Airflow DAG files, check them, run them, validate them, draw them.",
        epilog="Run `hamilflow COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=_version(), help="print the versions and exit")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error instead of a summary")
    debug = argparse.ArgumentParser(add_help=False)  # `--debug` after the command too, without resetting it
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[debug], help=summary, description=summary[0].upper() + summary[1:] + ".")

    c = command(
        "compile",
        "compile a pipeline into an Airflow DAG file (with no -m: every DAG configured in pyproject.toml's "
        "[tool.hamilflow.dags.<dag_id>] tables or hamilflow.toml), or check compiled files",
    )
    c.add_argument("-m", "--module", action="append", metavar="MODULE", help=_MODULE)
    c.add_argument(
        "--dag-id",
        help="the DAG's id; also names the file airflow_dags/<dag_id>.py. Without -m: only this configured DAG",
    )
    c.add_argument("--output-var", action="append", metavar="NAME", help=_OUTPUT_VAR)
    c.add_argument("--config", action="append", metavar="NAME=VALUE", help=_CONFIG)
    c.add_argument(
        "--param",
        action="append",
        help="NAME=VALUE default of a DAG param (repeatable), checked against the input's annotation",
    )
    c.add_argument("--schedule", default=None, help="cron expression or preset like @daily (default: no schedule)")
    c.add_argument("--start-date", default="2024-01-01", help="the DAG's start_date, ISO (default 2024-01-01)")
    c.add_argument("--catchup", action="store_true", help="let Airflow schedule the runs missed since start-date")
    c.add_argument("--retries", type=int, default=None, help="default retries of every task")
    c.add_argument(
        "--items-per-task",
        default=None,
        metavar="N|auto",
        help="items each mapped task instance runs (default: auto, from the deployment's parallelism, "
        "max_active_tasks and pool)",
    )
    c.add_argument("--grouping", default="default", choices=list(grouping.STRATEGIES), help="how nodes become tasks")
    c.add_argument("--store-url", default=None, help="artifact store: folder or fsspec URL")
    c.add_argument("--output", default=None, help="DAG file path (default airflow_dags/<dag_id>.py)")
    c.add_argument(
        "--adapter",
        action="append",
        metavar="MODULE:NAME",
        help="Hamilton lifecycle adapter each task runs with, by import path: an adapter, or a function of no "
        "argument returning one or a list (repeatable)",
    )
    c.add_argument(
        "--cache",
        action="store_true",
        help="cache node results in the artifact store by code and input versions (hamilflow.caching): a task "
        "whose nodes are unchanged reads them instead of running",
    )
    c.add_argument(
        "--materializer",
        action="append",
        metavar="MODULE:NAME",
        help="Hamilton to.*/from_.* materializers, by import path: a list of them, or a function of no argument "
        "returning one; each saver becomes a task of the DAG (repeatable)",
    )
    c.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a compiled file differs from what compiling now would write (the project's configured "
        "DAGs and FILES)",
    )
    c.add_argument(
        "--recompile",
        action="store_true",
        help="rewrite FILES: a configured DAG from the project's settings, another from the options it embeds",
    )
    c.add_argument(
        "files",
        nargs="*",
        help="DAG files for --check/--recompile (default: the DAGs configured in pyproject.toml or hamilflow.toml, "
        "and the files of the dags folder, airflow_dags/*.py)",
    )
    c.set_defaults(handler=cli_compile.command)

    r = command("run", "run a pipeline locally with the task runner")
    r.add_argument("-m", "--module", action="append", required=True, metavar="MODULE", help=_MODULE)
    r.add_argument("--output-var", action="append", metavar="NAME", help=_OUTPUT_VAR)
    r.add_argument("--input", action="append", metavar="NAME=VALUE", help=_INPUT)
    r.add_argument("--config", action="append", metavar="NAME=VALUE", help=_CONFIG)
    r.add_argument("--logical-date", default=None, metavar="DATE", help=_LOGICAL_DATE)
    r.add_argument(
        "--dag-id",
        default=None,
        help="dag_id input for --logical-date (default: the first module's path, dots as underscores)",
    )
    r.add_argument(
        "--executor",
        choices=["sync", "threads", "processes"],
        default="sync",
        help="where tasks run: in this thread, a thread pool, or worker processes (default sync)",
    )
    r.add_argument("--workers", type=int, default=None, help="threads or processes to use (default: CPU count)")
    r.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")
    r.set_defaults(handler=_run)

    v = command("validate", "report every problem of a pipeline at once; exit 1 when invalid (for CI)")
    v.add_argument("-m", "--module", action="append", required=True, metavar="MODULE", help=_MODULE)
    v.add_argument("--output-var", action="append", metavar="NAME", help=_OUTPUT_VAR)
    v.add_argument(
        "--input", action="append", metavar="NAME=VALUE", help=_INPUT + "; required inputs not given are problems"
    )
    v.add_argument("--config", action="append", metavar="NAME=VALUE", help=_CONFIG)
    v.add_argument(
        "--logical-date",
        default="2024-01-01",
        help="the date whose Airflow context values fill context-named inputs (default 2024-01-01)",
    )
    v.add_argument("--airflow", action="store_true", help="also check that it compiles into an Airflow DAG")
    v.add_argument("--dag-id", default=None, help="the DAG id that --airflow checks (default: validate)")
    v.add_argument("--param", action="append", help="NAME=VALUE DAG param default that --airflow checks")
    v.set_defaults(handler=cli_validate.command)

    g = command("graph", "draw a pipeline: DOT, SVG/PNG (with Graphviz) or Mermaid")
    g.add_argument("-m", "--module", action="append", required=True, metavar="MODULE", help=_MODULE)
    g.add_argument(
        "--output-var", action="append", metavar="NAME", help="draw only what these outputs need (repeatable)"
    )
    g.add_argument("--config", action="append", metavar="NAME=VALUE", help=_CONFIG)
    g.add_argument(
        "--format",
        choices=["dot", "mermaid", "svg", "png", "pdf"],
        default=None,
        help="dot and mermaid are text (stdout without -o); svg, png and pdf need Graphviz's dot program "
        "(default: from the -o suffix, else dot)",
    )
    g.add_argument("-o", "--output", default=None, help="file to write (default: stdout)")
    g.add_argument("--plan", action="store_true", help="draw the plan's tasks as clusters of the nodes each one runs")
    g.add_argument(
        "--grouping",
        default="default",
        choices=list(grouping.STRATEGIES),
        help="how nodes become tasks, for --plan (default: as compile does)",
    )
    g.set_defaults(handler=cli_graph.command)

    a = command("airflow-test", "run a compiled DAG file on an embedded Airflow (SQLite)")
    a.add_argument("file", help="the compiled DAG file to run")
    a.add_argument(
        "--conf", default=None, help="""run conf as a JSON object of DAG params, e.g. '{"corpus": "empty"}'"""
    )
    a.add_argument(
        "--logical-date",
        default=None,
        help="the run's logical date (2024-03-01, or an ISO date-time; UTC when no zone is given), passed to "
        "dag.test(logical_date=...)",
    )
    a.add_argument("--home", default=".hamilflow/airflow", help="AIRFLOW_HOME for the embedded Airflow")
    a.set_defaults(handler=_airflow_test)

    d = command("demo", "compile examples/word_count and run it on an embedded Airflow")
    d.add_argument("--home", default=".hamilflow/airflow", help="AIRFLOW_HOME for the embedded Airflow")
    d.set_defaults(handler=_demo)

    cli_gc.add_parser(command)
    return parser


def _summary(error: BaseException) -> str:
    """One paragraph for an error raised by the user's code or a library: what, the notes, where."""
    notes = " ".join(note.strip().rstrip(".") + "." for note in getattr(error, "__notes__", ()) if note.strip())
    what = f"error: {cli_inputs.one_line(error)}{cli_inputs.where(error)}."
    return f"{what} {notes + ' ' if notes else ''}Run with --debug for the traceback."


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (GraphError, HamilflowError) as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of stdout went away (`hamilflow graph ... | head`): nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a pipeline's own failure, or a library's: a summary, not a traceback
        if args.debug:
            raise
        print(_summary(error), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
