"""Objects named by import path, ``"package.module:name"``: callbacks and lifecycle adapters of a compiled DAG.

A DAG file names what it needs from the project's code by path rather than importing it at
the top, so that parsing the file (which Airflow does every few seconds) never imports the
pipeline's code. The compiler resolves each path once to check it; the runtime resolves it
again where it is used.

    >>> resolve("json:dumps", "a callback").__name__
    'dumps'
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from hamilflow.errors import SettingError

__all__ = ["resolve", "adapters_from", "materializers_from", "ImportedCallback"]


def resolve(path: Any, what: str) -> Any:
    """The object at ``path`` (``"package.module:attribute"``, dots allowed after the colon).

    ``what`` says what the path is for, in the error: ``SettingError`` naming the path, the
    part that failed and the fix.
    """
    if not isinstance(path, str) or path.count(":") != 1 or not all(path.split(":")):
        raise SettingError(
            f"{what} {path!r} is not an import path: write it as 'package.module:name', "
            "e.g. 'my_project.alerts:notify'."
        )
    module_name, attribute = path.split(":")
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise SettingError(
            f"{what} {path!r}: module '{module_name}' does not import ({error}). Check the spelling, and that it is "
            "installed where the DAG runs (the Airflow workers' Python) as it is here."
        ) from error
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise SettingError(f"{what} {path!r}: module '{module_name}' has no '{attribute}'.") from None
    return found


def adapters_from(path: str) -> list[Any]:
    """The Hamilton lifecycle adapters ``path`` names: an adapter, or a callable of no argument returning an
    adapter or a list of them. Raises ``SettingError`` when it names something else."""
    from hamilflow.lifecycle import is_lifecycle_adapter

    found = resolve(path, "adapter")
    if not is_lifecycle_adapter(found):
        if not callable(found):
            raise SettingError(
                f"adapter {path!r} names {_short(found)} (of type {type(found).__name__}), not a Hamilton lifecycle "
                "adapter: name an adapter "
                "instance, or a function of no argument that returns one (or a list of them)."
            )
        found = _called(found, f"adapter {path!r}", "an adapter instance (or a list of them)")
    adapters = list(found) if isinstance(found, (list, tuple)) else [found]
    wrong = [type(a).__name__ for a in adapters if not is_lifecycle_adapter(a)]
    if wrong or not adapters:
        got = ", ".join(wrong) or "an empty list"
        raise SettingError(
            f"adapter {path!r} gives {got}, not Hamilton lifecycle adapters (subclasses of "
            "hamilton.lifecycle.base.LifecycleAdapter, e.g. NodeExecutionHook)."
        )
    return adapters


def materializers_from(path: str) -> list[Any]:
    """The Hamilton materializers (``to.*``, ``from_.*``) ``path`` names: one, a list, or a callable of no argument
    returning either. Raises ``SettingError`` when it names something else."""
    from hamilton.io import materialization

    kinds = (materialization.MaterializerFactory, materialization.ExtractorFactory)
    found = resolve(path, "materializer")
    if callable(found) and not isinstance(found, kinds):
        found = _called(found, f"materializer {path!r}", "a list of to.*/from_.* materializers")
    items = list(found) if isinstance(found, (list, tuple)) else [found]
    wrong = [type(m).__name__ for m in items if not isinstance(m, kinds)]
    if wrong or not items:
        raise SettingError(
            f"materializer {path!r} gives {', '.join(wrong) or 'an empty list'}, not materializers made by "
            "hamilton.io.materialization's to.* and from_.* (e.g. to.parquet(id=..., dependencies=[...], path=...))."
        )
    return items


def _called(factory: Callable[[], Any], what: str, expected: str) -> Any:
    """What a factory named by path returns; a SettingError saying what to name when it needs arguments."""
    try:
        return factory()
    except TypeError as error:
        raise SettingError(
            f"{what} could not be called without arguments ({error}): name {expected}, or a function of no "
            "argument that returns one."
        ) from error


def _short(found: Any) -> str:
    text = repr(found)
    return text if len(text) <= 40 else text[:37] + "..."


class ImportedCallback:
    """An Airflow callback named by import path, imported when Airflow first calls it.

    >>> ImportedCallback("json:dumps")({"a": 1})
    '{"a": 1}'
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._function: Callable[..., Any] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._function is None:
            self._function = resolve(self.path, "callback")
        return self._function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"callback({self.path!r})"
