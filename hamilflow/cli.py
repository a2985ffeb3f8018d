"""The ``hamilflow`` command: compile pipelines to Airflow DAG files, check them, run them.

hamilflow compile -m examples.word_count.pipeline --dag-id word_count --output-var total_words
hamilflow compile --check                     # are the files in airflow_dags/ current?
hamilflow run -m examples.word_count.pipeline --output-var total_words --executor processes
hamilflow airflow-test airflow_dags/word_count.py   # run on an embedded Airflow (SQLite)
hamilflow demo                                # compile word_count and run it on Airflow
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from hamilflow.errors import GraphError, HamilflowError, SettingError
from hamilflow.execution import grouping


def _value(text: str, flag: str, key: str) -> Any:
    """JSON if it parses, else the text itself; text that starts like JSON but breaks is refused."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        if text.lstrip()[:1] in ("[", "{", '"'):
            raise SettingError(
                f"{flag} {key}={text}: {text!r} looks like JSON but is not valid JSON ({error.msg} at character "
                f"{error.pos}). Fix the JSON, or, to pass it as text, quote it as a JSON string: "
                f"{flag} {key}={json.dumps(text)!r}."
            ) from None
        return text


def _pairs(items: Sequence[str] | None, flag: str) -> dict[str, Any]:
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SettingError(
                f"{flag} takes NAME=VALUE (VALUE is JSON or text), got {item!r}: write {flag} NAME=VALUE, "
                f"e.g. {flag} amount=3."
            )
        out[key] = _value(value, flag, key)
    return out


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


def _compile(args: argparse.Namespace) -> int:
    from hamilflow.compiler import CompileOptions, check_dag_file, compile_pipeline, embedded_options

    if args.check or args.recompile:
        files = args.files or sorted(glob.glob("airflow_dags/*.py"))
        if not files:
            print("no DAG files to check (airflow_dags/*.py)", file=sys.stderr)
            return 1
        missing = [path for path in files if not Path(path).is_file()]
        if missing:
            print(f"no such DAG file: {', '.join(missing)}", file=sys.stderr)
            return 2
        stale = 0
        for path in files:
            if args.recompile:
                compile_pipeline(embedded_options(path)).write()
                print(f"recompiled {path}")
                continue
            problem = check_dag_file(path)
            if problem:
                stale += 1
                print(problem, file=sys.stderr)
            else:
                print(f"{path}: up to date")
        return 1 if stale else 0
    if not args.module or not args.dag_id:
        raise SystemExit("hamilflow compile needs -m MODULE and --dag-id (or --check / --recompile FILES)")
    options = CompileOptions(
        modules=args.module,
        dag_id=args.dag_id,
        final_vars=args.output_var or [],
        config=_pairs(args.config, "--config"),
        params=_pairs(args.param, "--param"),
        schedule=args.schedule,
        start_date=args.start_date,
        catchup=args.catchup,
        retries=args.retries,
        grouping=args.grouping,
        store_url=args.store_url,
        output=args.output,
    )
    path = compile_pipeline(options).write()
    print(f"wrote {path}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from hamilflow import base, driver
    from hamilflow.execution import executors

    sys.path.insert(0, "")
    modules = []
    for name in args.module:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name is None or not name.startswith(error.name):
                raise  # the module exists but imports something missing: show the user's traceback
            hint = (
                f" -m takes a module's import path, like {name.removesuffix('.py').replace('/', '.')}, not a file path."
                if name.endswith(".py") or "/" in name
                else ""
            )
            raise HamilflowError(
                f"cannot import module '{name}' (-m {name}): {error}.{hint} Is it on PYTHONPATH?"
            ) from error
    remote = {
        "sync": lambda: executors.SynchronousLocalTaskExecutor(),
        "threads": lambda: executors.MultiThreadingExecutor(args.workers),
        "processes": lambda: executors.MultiProcessingExecutor(args.workers),
    }[args.executor]()
    dr = (
        driver.Builder()
        .with_modules(*modules)
        .with_config(_pairs(args.config, "--config"))
        .with_adapters(base.DictResult())
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(remote)
        .with_progress_bar(not args.no_progress)
        .build()
    )
    outputs = args.output_var or dr.graph.leaves()
    result = dr.execute(outputs, inputs=_pairs(args.input, "--input"))
    for name, value in result.items():
        print(f"{name} = {value!r}" if "\n" not in repr(value) else f"{name} =\n{value}")
    return 0


def _airflow_test(args: argparse.Namespace) -> int:
    run_conf = _run_conf(args.conf)  # refused before Airflow starts
    from hamilflow.embedded_airflow import run_dag_file

    sys.path.insert(0, "")  # pipeline modules import from the current folder, as with `python -m`
    started = time.perf_counter()
    print(f"running {args.file} on an embedded Airflow (SQLite in {args.home}) ...", flush=True)
    result = run_dag_file(args.file, run_conf=run_conf, home=args.home)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hamilflow", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("compile", help="compile a pipeline into an Airflow DAG file, or check compiled files")
    c.add_argument("-m", "--module", action="append", help="pipeline module import path (repeatable)")
    c.add_argument("--dag-id")
    c.add_argument("--output-var", action="append", help="output to compute (repeatable; default: all leaves)")
    c.add_argument("--config", action="append", help="NAME=VALUE config entry (repeatable)")
    c.add_argument("--param", action="append", help="NAME=VALUE default of a DAG param (repeatable)")
    c.add_argument("--schedule", default=None, help="cron expression or preset like @daily")
    c.add_argument("--start-date", default="2024-01-01")
    c.add_argument("--catchup", action="store_true")
    c.add_argument("--retries", type=int, default=None, help="default retries of every task")
    c.add_argument("--grouping", default="default", choices=list(grouping.STRATEGIES), help="how nodes become tasks")
    c.add_argument("--store-url", default=None, help="artifact store: folder or fsspec URL")
    c.add_argument("--output", default=None, help="DAG file path (default airflow_dags/<dag_id>.py)")
    c.add_argument("--check", action="store_true", help="exit 1 if compiled FILES are stale")
    c.add_argument("--recompile", action="store_true", help="rewrite FILES from the options they embed")
    c.add_argument("files", nargs="*", help="DAG files for --check/--recompile (default airflow_dags/*.py)")
    c.set_defaults(handler=_compile)

    r = sub.add_parser("run", help="run a pipeline locally with the task runner")
    r.add_argument("-m", "--module", action="append", required=True)
    r.add_argument("--output-var", action="append")
    r.add_argument("--input", action="append", help="NAME=VALUE input (repeatable)")
    r.add_argument("--config", action="append")
    r.add_argument("--executor", choices=["sync", "threads", "processes"], default="sync")
    r.add_argument("--workers", type=int, default=None)
    r.add_argument("--no-progress", action="store_true")
    r.set_defaults(handler=_run)

    a = sub.add_parser("airflow-test", help="run a compiled DAG file on an embedded Airflow (SQLite)")
    a.add_argument("file")
    a.add_argument("--conf", default=None, help="run conf as JSON (DAG params)")
    a.add_argument("--home", default=".hamilflow/airflow", help="AIRFLOW_HOME for the embedded Airflow")
    a.set_defaults(handler=_airflow_test)

    d = sub.add_parser("demo", help="compile examples/word_count and run it on an embedded Airflow")
    d.add_argument("--home", default=".hamilflow/airflow")
    d.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (GraphError, HamilflowError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
