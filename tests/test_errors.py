"""One error family: everything hamilflow raises itself derives from HamilflowError."""

from __future__ import annotations

import ast
from pathlib import Path

import hamilflow
from hamilflow import errors

PACKAGE = Path(hamilflow.__file__).parent
BUILT_IN = {"ValueError", "RuntimeError", "TypeError", "KeyError", "Exception"}


def _raised_builtins() -> list[str]:
    """``raise <BuiltinError>(...)`` statements in hamilflow's own code, as ``file:line``."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", None)
                if name in BUILT_IN:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} raises {name}")
    return found


def test_hamilflow_raises_only_its_own_errors() -> None:
    # the front end raises TypeError internally and turns it into a graph problem; nothing else may
    allowed = [entry for entry in _raised_builtins() if not entry.startswith("frontend.py")]
    assert allowed == []


def test_every_error_class_of_hamilflow_derives_from_hamilflow_error() -> None:
    classes = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and (node.name.endswith("Error") or node.name.endswith("Problem")):
                classes.append((path, node.name))
    assert len(classes) >= 8
    import importlib

    for path, name in classes:
        module_name = ".".join(("hamilflow", *path.relative_to(PACKAGE).with_suffix("").parts))
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # an optional back end (Ray, Dask, Airflow) that is not installed
            continue
        cls = getattr(module, name)
        if name.startswith("_"):
            continue
        assert issubclass(cls, errors.HamilflowError), f"{module_name}.{name}"


def test_ported_except_clauses_still_catch_them() -> None:
    assert issubclass(errors.GraphError, ValueError) and issubclass(errors.SettingError, ValueError)
    assert issubclass(errors.ResultError, ValueError) and issubclass(errors.EnvironmentProblem, RuntimeError)
