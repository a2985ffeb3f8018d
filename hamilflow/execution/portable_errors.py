"""Exceptions that cross a process boundary and arrive as themselves.

A worker process sends a user's exception back pickled. Unpickling an exception calls its
class with the exception's ``args``, so a class whose ``__init__`` wants other arguments
cannot be re-created that way; an exception holding an unpicklable attribute cannot be sent
at all. :func:`portable_error` packs what can be packed, :func:`restore_error` rebuilds it on
the other side, and what cannot travel becomes a :class:`WorkerError` that keeps its
message and notes. Used by the process pool, Ray and the runner's work units.

    >>> restore_error(portable_error(ValueError("bad item"))).args
    ('bad item',)
"""

from __future__ import annotations

import cloudpickle

from hamilflow.errors import HamilflowError


class WorkerError(HamilflowError):
    """Stands in for an exception raised in a worker that could not be sent back to the caller."""


class WorkerDiedError(WorkerError):
    """A worker process ended in the middle of a unit of work (a crash, ``os._exit``, ``sys.exit``, a kill).

    ``batch_position`` is the position in the unit of the item that was running; the runner
    names that item (not the unit's first).
    """

    def __init__(self, message: str, batch_position: int = 0) -> None:
        super().__init__(message)
        self.batch_position = batch_position

    def __reduce__(self) -> object:
        return type(self), (self.args[0], self.batch_position)


class _CarriedError(Exception):
    """An exception pickle cannot re-create, carried as ``(class, args, attributes)``.

    Unpickling an exception calls its class with the exception's ``args``; a class whose
    ``__init__`` wants other arguments fails there. :func:`restore_error` rebuilds it
    without calling ``__init__``, so the caller still gets the user's own exception type.
    """


def _round_trips(error: BaseException) -> bool:
    try:
        cloudpickle.loads(cloudpickle.dumps(error))
        return True
    except Exception:  # noqa: BLE001 - any failure means the other side could not rebuild it
        return False


def portable_error(error: BaseException) -> BaseException:
    """``error`` in a form that survives pickling; the other side calls :func:`restore_error`."""
    if _round_trips(error):
        return error
    carried = _CarriedError(type(error), error.args, dict(vars(error)))
    if _round_trips(carried):
        return carried
    stand_in = WorkerError(
        f"{type(error).__module__}.{type(error).__qualname__}: {error} -- raised in a worker, and it cannot be "
        "pickled to send it back. Keep exception attributes picklable to receive the exception itself."
    )
    stand_in.__notes__ = list(getattr(error, "__notes__", []))
    return stand_in


def restore_error(error: BaseException) -> BaseException:
    """The user's exception back from :func:`portable_error`."""
    if not isinstance(error, _CarriedError):
        return error
    cls, args, attributes = error.args
    rebuilt = cls.__new__(cls)
    rebuilt.args = args
    rebuilt.__dict__.update(attributes)
    return rebuilt
