"""``hamilflow gc``: free the artifact store of old runs and of temp files left by killed writers.

A dry run unless ``--yes``: it prints what would go. A run goes when every file in its folder is
older than ``--older-than``, no writer of this machine is still writing into it and, when Airflow
is asked, its DAG run is not queued or running (see :mod:`hamilflow.runtime.store.retention`).
Airflow is asked when ``--airflow`` is given, or, by default, when this environment configures an
Airflow (``AIRFLOW_HOME`` or ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` is set) and Airflow is
installed. Only the store's namespace (``--namespace``, else ``$HAMILFLOW_STORE_NAMESPACE``) is
looked at.

    hamilflow gc --older-than 30d                 # what would go
    hamilflow gc --older-than 30d --yes --json    # remove it, and say what was freed as JSON
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
from typing import Any, Callable

from hamilflow.errors import SettingError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str) -> float:
    """Seconds in a duration like ``30d``, ``12h``, ``90m``, ``1d12h`` (units s, m, h, d, w).

    Example:
        >>> parse_duration("30d"), parse_duration("1d12h"), parse_duration("0s")
        (2592000.0, 129600.0, 0.0)
    """
    compact = text.strip().lower().replace(" ", "")
    if not compact or _PART.sub("", compact):
        raise SettingError(
            f"--older-than {text!r} is not a duration: write a number and a unit (s, m, h, d or w), "
            "e.g. --older-than 30d, 12h or 1d12h."
        )
    return float(sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(compact)))


def add_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Declare ``hamilflow gc`` with the CLI's command factory (``command(name, summary)``)."""
    g = command(
        "gc", "remove old runs' artifacts and orphaned temp files from the artifact store (dry run unless --yes)"
    )
    g.add_argument(
        "--older-than",
        required=True,
        metavar="DURATION",
        help="collect runs whose newest file is older than this: 30d, 12h, 90m, 1d12h (units s, m, h, d, w)",
    )
    g.add_argument(
        "--store-url",
        default=None,
        help="artifact store: folder or fsspec URL such as s3://bucket/artifacts (default: $HAMILFLOW_STORE_URL, "
        "else $AIRFLOW_HOME/hamilflow-artifacts, else ./.hamilflow/artifacts)",
    )
    g.add_argument(
        "--namespace",
        default=None,
        help="the deployment's namespace in the store (default: $HAMILFLOW_STORE_NAMESPACE; empty for none)",
    )
    g.add_argument("--dag", default=None, metavar="DAG_ID", help="only look at the runs of this DAG")
    g.add_argument(
        "--yes",
        "--delete",
        dest="delete",
        action="store_true",
        help="delete what is found (without it, gc only reports what it would delete)",
    )
    airflow = g.add_mutually_exclusive_group()
    airflow.add_argument(
        "--airflow",
        dest="airflow",
        action="store_true",
        default=None,
        help="ask the Airflow metadata DB which runs are queued or running and keep them; fail if it cannot "
        "(default: ask when AIRFLOW_HOME or AIRFLOW__DATABASE__SQL_ALCHEMY_CONN is set and Airflow is installed)",
    )
    airflow.add_argument(
        "--no-airflow",
        dest="airflow",
        action="store_false",
        help="do not ask Airflow: a run is judged by the age of its files alone",
    )
    g.add_argument("--json", action="store_true", help="print the report as JSON")
    g.set_defaults(handler=command_gc)
    return g


def command_gc(args: argparse.Namespace) -> int:
    """Run gc as the arguments say; print the report; exit 0 (a dry run that finds something is no error)."""
    from hamilflow.runtime.store import ArtifactStore, default_store_url
    from hamilflow.runtime.store.retention import airflow_active_runs, collect_garbage

    older_than = parse_duration(args.older_than)
    url = args.store_url or default_store_url()
    store = ArtifactStore(url, namespace=args.namespace)
    _check_exists(store, url)
    ask = _airflow_configured() if args.airflow is None else args.airflow
    running = airflow_active_runs(args.dag) if ask else set()
    report = collect_garbage(
        store, older_than, dag_id=args.dag, dry_run=not args.delete, running=running, airflow_checked=ask
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(_text(report, args.older_than))
    return 0


def _airflow_configured() -> bool:
    """Whether this environment points at an Airflow, so that asking it is expected (and does not create one:
    importing Airflow without AIRFLOW_HOME would make ~/airflow)."""
    configured = bool(os.environ.get("AIRFLOW_HOME") or os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"))
    return configured and importlib.util.find_spec("airflow") is not None


def _check_exists(store: Any, url: str) -> None:
    """A store URL that names nothing is a typo more often than an empty store: say so."""
    exists = os.path.isdir(store._root) if store._fs is None else store._fs.exists(store._root)
    if not exists:
        raise SettingError(
            f"there is no artifact store at {url}: check --store-url (or $HAMILFLOW_STORE_URL); nothing was removed."
        )


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1024 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"  # not reached


def _text(report: Any, older_than: str) -> str:
    """The report for a person: the figures first, then each run collected, then why runs were kept."""
    verb = "would free" if report.dry_run else "freed"
    where = report.store + (f" (namespace {report.namespace!r})" if report.namespace else "")
    runs = len(report.collected)
    lines = [
        f"{'dry run: ' if report.dry_run else ''}{verb} {runs} run{'s' if runs != 1 else ''}, "
        f"{report.freed_files} file{'s' if report.freed_files != 1 else ''}, {_size(report.freed_bytes)} in {where}"
    ]
    for run in report.collected:
        lines.append(f"  {run.dag_id} {run.run_id}: {run.files} files, {_size(run.bytes)}")
    if report.temp_files:
        lines.append(f"  {len(report.temp_files)} orphaned temp file(s) of killed writers in kept runs")
    if report.kept:
        reasons: dict[str, int] = {}
        for run in report.kept:
            reasons[run.decision] = reasons.get(run.decision, 0) + 1
        why = ", ".join(f"{count} {_REASONS[reason]}" for reason, count in sorted(reasons.items()))
        lines.append(f"kept {len(report.kept)} run{'s' if len(report.kept) != 1 else ''}: {why}")
    checked = "asked Airflow for running runs" if report.airflow_checked else "Airflow not asked"
    lines.append(f"runs older than {older_than} were collected; {checked}.")
    if report.dry_run and (report.collected or report.temp_files):
        lines.append("Nothing was deleted: run again with --yes to delete.")
    return "\n".join(lines)


_REASONS = {
    "young": "with files newer than the limit",
    "writing": "being written by a live process",
    "running": "queued or running in Airflow",
    "changed": "written to while gc ran",
}
