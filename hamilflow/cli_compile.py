"""``hamilflow compile``: one pipeline from the command line, or every DAG the project configures.

With ``-m MODULE --dag-id ID`` it compiles that pipeline; with neither it compiles the DAGs of
``pyproject.toml``'s ``[tool.hamilflow.dags.<dag_id>]`` tables (or ``hamilflow.toml``, see
:mod:`hamilflow.project_config`). ``--check`` says, per file, whether compiling now would write
another one; ``--recompile`` rewrites files. Each file is checked as Airflow will read it
before any is written, and a module that only the current folder makes importable is named
in a warning (Airflow's workers would not import it).

    hamilflow compile                      # every configured DAG
    hamilflow compile --check              # exit 1 when a file is stale or missing
"""

from __future__ import annotations

import argparse
import glob
import sys
from pathlib import Path
from typing import Any

from hamilflow import cli_inputs
from hamilflow.errors import SettingError

__all__ = ["command"]


def command(args: argparse.Namespace) -> int:
    """``hamilflow compile``: the DAGs of -m MODULE, or every configured DAG; ``--check`` and ``--recompile``."""
    from hamilflow.compiler import CompileError, CompileOptions, compile_pipeline
    from hamilflow.project_config import read_project

    project = None if args.module else read_project()
    if args.check or args.recompile:
        return _check_or_recompile(args, project)
    if not args.module:
        if project is None:
            raise SettingError(
                "hamilflow compile needs -m MODULE and --dag-id DAG_ID, or DAGs configured in pyproject.toml "
                "([tool.hamilflow.dags.<dag_id>]) or hamilflow.toml (or --check / --recompile FILES)."
            )
        compiled = []
        for options in _configured(project, args.dag_id):
            try:
                compiled.append(compile_pipeline(options))
            except CompileError as error:
                where = f"Cannot compile DAG '{options.dag_id}' of {project.table(options.dag_id)}"
                raise CompileError(error.problems, header=where) from error
        for path in _write_verified(compiled, project):
            print(f"wrote {path}")
        return 0
    if not args.dag_id:
        raise SettingError("hamilflow compile -m MODULE needs --dag-id DAG_ID too.")
    options = CompileOptions(
        modules=args.module,
        dag_id=args.dag_id,
        final_vars=args.output_var or [],
        config=cli_inputs.untyped(args.config, "--config"),
        params=cli_inputs.param_defaults(args.param, args.module, args.config),
        schedule=args.schedule,
        start_date=args.start_date,
        catchup=args.catchup,
        retries=args.retries,
        items_per_task=args.items_per_task,
        grouping=args.grouping,
        store_url=args.store_url,
        output=args.output,
        adapters=args.adapter or [],
        materializers=args.materializer or [],
        cache=args.cache or None,
    )
    (path,) = _write_verified([compile_pipeline(options)])
    print(f"wrote {path}")
    return 0


def _write_verified(compiled: list[Any], project: Any = None) -> list[Path]:
    """Check every compiled DAG as Airflow will read it (one Airflow import for all), then write them all.

    One that Airflow would not read as intended is a CompileError, and no file is written.
    """
    from hamilflow.compiler import CompileError
    from hamilflow.compiler.verify import check_sources

    for dag, problems in zip(compiled, check_sources([(c.source, c.dag) for c in compiled])):
        if problems:
            where = f" of {project.table(dag.dag.dag_id)}" if project is not None else ""
            raise CompileError(problems, header=f"Cannot write DAG '{dag.dag.dag_id}'{where}")
    _warn_about_worker_imports(compiled)
    return [dag.write() for dag in compiled]


def _warn_about_worker_imports(compiled: list[Any]) -> None:
    """A module that imports here only from the current folder will not import on Airflow's workers: say so."""
    from hamilflow.compiler.deployment import worker_import_warnings

    modules = {name: sys.modules[name] for c in compiled for name in c.options.modules if name in sys.modules}
    for warning in worker_import_warnings(modules.values()):
        print(f"warning: {warning}", file=sys.stderr)


def _configured(project: Any, dag_id: str | None) -> list[Any]:
    """The project's configured DAGs, or only ``dag_id``'s."""
    if dag_id is None:
        return list(project.dags.values())
    if dag_id not in project.dags:
        import difflib

        close = difflib.get_close_matches(dag_id, list(project.dags), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else f" Configured: {', '.join(project.dags) or 'none'}."
        raise SettingError(f"no DAG '{dag_id}' is configured in {project.path}.{hint}")
    return [project.dags[dag_id]]


def _check_or_recompile(args: argparse.Namespace, project: Any) -> int:
    """``--check``/``--recompile``: the project's configured DAGs by their settings, other files by what they embed."""
    from hamilflow.compiler import check_compiled, check_dag_file, compile_pipeline, embedded_options

    configured = {}  # output path -> options, for the DAGs the project configures
    if project is not None:
        configured = {
            str(Path(o.output_path)): o for o in _configured(project, args.dag_id if not args.files else None)
        }
    folder = project.dags_folder if project is not None else "airflow_dags"
    if args.files:
        files = args.files
    elif project is not None and args.dag_id:
        files = list(configured)
    else:
        files = sorted({*configured, *glob.glob(f"{folder}/*.py")})
    if not files:
        print(f"no DAG files to check ({folder}/*.py)", file=sys.stderr)
        return 1
    missing = [path for path in files if not Path(path).is_file() and str(Path(path)) not in configured]
    if missing:
        print(f"no such DAG file: {', '.join(missing)}", file=sys.stderr)
        return 2
    stale = 0
    if args.recompile:
        compiled = [compile_pipeline(configured.get(str(Path(p))) or embedded_options(p)) for p in files]
        _write_verified(compiled, project)
        for path in files:
            options = configured.get(str(Path(path)))
            print(f"recompiled {path}" + (f" from {project.table(options.dag_id)}" if options else ""))
        return 0
    for path in files:
        options = configured.get(str(Path(path)))
        problem = check_compiled(options, path) if options is not None else check_dag_file(path)
        if problem:
            stale += 1
            print(problem, file=sys.stderr)
        else:
            print(f"{path}: up to date")
    return 1 if stale else 0
