"""Will Airflow's workers import the pipeline's modules the way ``hamilflow compile`` just did?

``hamilflow compile`` imports modules as ``python -m`` does, the current folder first, so a
pipeline kept in the folder you compile from imports here. Airflow's workers do not add
their current folder: they import from their ``sys.path`` (installed packages, PYTHONPATH,
the DAGs folder). A module that imports here only thanks to the current folder is named
in a warning at compile time, not at the first task of the first run.

    >>> import json
    >>> worker_import_warnings([json])
    []
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterable

__all__ = ["worker_import_warnings"]


def worker_import_warnings(modules: Iterable[ModuleType]) -> list[str]:
    """One warning per module that imports only because the current folder is on ``sys.path``."""
    cwd = Path.cwd().resolve()
    elsewhere = {_resolved(entry) for entry in sys.path if entry not in ("", ".")}
    elsewhere |= {_resolved(entry) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry}
    warnings = []
    for module in modules:
        root = _import_root(module)
        if root is None or root != cwd or root in elsewhere:
            continue
        top = module.__name__.split(".")[0]
        warnings.append(
            f"module '{module.__name__}' imports here only because '{top}' is in the current folder ({cwd}). "
            "Airflow's workers import from their sys.path, not from the folder they start in: install the "
            f"pipeline's package on every worker, or put {cwd} on their PYTHONPATH (or the package in the DAGs "
            "folder), or the first task of each run will fail to import it."
        )
    return warnings


def _import_root(module: ModuleType) -> Path | None:
    """The folder that the module's top-level package (or the module itself) was imported from."""
    path = getattr(module, "__file__", None)
    if not path:
        return None
    depth = module.__name__.count(".") + (1 if Path(path).name == "__init__.py" else 0)
    return Path(path).resolve().parents[depth]


def _resolved(entry: str) -> Path:
    try:
        return Path(entry).resolve()
    except OSError:  # an entry that cannot be resolved names no folder of ours
        return Path(entry)
