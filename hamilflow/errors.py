"""Errors hamilflow raises, each written for the person who has to fix the pipeline."""

from __future__ import annotations


class HamilflowError(Exception):
    """Base of every error hamilflow raises itself (user exceptions pass through unchanged).

    Subclasses also derive from the built-in error a Hamilton user would catch for the same
    problem (``ValueError`` for a bad graph or request), so ported ``except`` clauses still work.
    """


class EnvironmentProblem(HamilflowError, RuntimeError):
    """Something hamilflow needs outside Python is missing (Graphviz's ``dot``, a running Ray, ...)."""


class GraphError(HamilflowError, ValueError):
    """The pipeline's functions do not form a valid graph; ``problems`` lists every issue found."""

    def __init__(self, problems: list[str], header: str = "The pipeline is not valid") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{header} ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        super().__init__("\n".join(lines))


class ModuleImportError(HamilflowError, ImportError):
    """A pipeline module named by import path cannot be imported here; the message says why and how to fix it."""


class ResultError(HamilflowError, ValueError):
    """The outputs cannot be shaped into the result the result builder makes."""


class SettingError(HamilflowError, ValueError):
    """An argument or setting given to hamilflow itself is invalid (a ref, a grouping, a secret, ...)."""


class ExpanderValueError(HamilflowError, TypeError):
    """A ``Parallelizable[]`` function returned something that is not a collection of items.

    A ``TypeError``, as iterating a value that is not iterable raises in Hamilton.
    """


class HamilflowWarning(UserWarning):
    """Something hamilflow accepts, as Hamilton does, but that is probably not what the user meant.

    Silence them all with ``warnings.filterwarnings("ignore", category=HamilflowWarning)``.
    """

    @classmethod
    def emit(cls, message: str) -> None:
        """Warn, pointing at the user's line that called into hamilflow rather than at hamilflow itself."""
        import sys
        import warnings

        frame, level = sys._getframe(0), 1
        while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "hamilflow":
            frame, level = frame.f_back, level + 1
        warnings.warn(message, cls, stacklevel=level)


class ExecutionRequestError(GraphError):
    """An ``execute`` call asks for something the graph cannot give: unknown outputs, missing inputs."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems, header="Cannot run this request")


def add_note(error: BaseException, note: str) -> None:
    """Attach a note to an exception without changing its type (PEP 678, back-filled on 3.10)."""
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:  # pragma: no cover - Python 3.10
        notes = getattr(error, "__notes__", None) or []
        notes.append(note)
        error.__notes__ = notes
