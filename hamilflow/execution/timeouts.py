"""Per-node time limits: how long one node may run before the run stops with an error.

A limit comes from the node's ``@tag(timeout="90s")`` or, for nodes without that tag, from
the executor's ``node_timeout``. Who enforces it depends on where the node runs, since only
a process can be stopped from outside:

* a worker process (:class:`~hamilflow.execution.executors.MultiProcessingExecutor`) is
  killed by the parent when its node overruns;
* a thread (:class:`~hamilflow.execution.executors.MultiThreadingExecutor`) cannot be
  killed: the run stops with the error at once and the thread is abandoned (it is a daemon,
  so it does not hold the interpreter open);
* in the main thread (the synchronous executor, a plain ``Driver.execute``, an Airflow task
  through the runtime) a ``SIGALRM`` timer interrupts the node. It nests inside a timer
  already set (Airflow's ``execution_timeout``), whichever is due first firing.
* Ray (:class:`~hamilflow.plugins.h_ray.RayTaskExecutor`) runs a node in its worker's main
  thread, so the alarm interrupts it there;
* Dask (:class:`~hamilflow.plugins.h_dask.DaskExecutor`) runs a task in a worker's thread,
  which nothing can interrupt: a unit with a limit runs, inside its Dask task, in a daemon
  thread watched as the thread executor's are, and when a node overruns the Dask task fails
  at once and that thread is abandoned on the worker.

Durations are written as on the command line and in ``@tag(airflow_*=...)``: seconds
(``30``, ``"2.5"``) or ``"90s"``, ``"5m"``, ``"2h"``, ``"1d"``.

    >>> parse_duration("5m")
    datetime.timedelta(seconds=300)
    >>> format_seconds(90.0)
    '90 s'
"""

from __future__ import annotations

import datetime
import re
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

from hamilflow.errors import HamilflowError, SettingError, add_note

if TYPE_CHECKING:
    from hamilflow.node import Node

TIMEOUT_TAG = "timeout"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: Any) -> datetime.timedelta:
    """``30``, ``"30"``, ``"90s"``, ``"5m"``, ``"2h"``, ``"1d"`` as a timedelta.

    >>> parse_duration("2h") == datetime.timedelta(hours=2)
    True
    """
    if isinstance(text, datetime.timedelta):
        return text
    match = None if isinstance(text, bool) else re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text))
    if not match:
        raise SettingError(f"{text!r} is not a duration: use seconds (30) or 90s, 5m, 2h, 1d")
    return datetime.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2) or "s"])


def checked_limit(raw: Any, what: str) -> float | None:
    """A time limit in seconds from ``raw`` (None: no limit); ``what`` names it in the error."""
    if raw is None:
        return None
    try:
        seconds = parse_duration(raw).total_seconds()
    except SettingError as error:
        raise SettingError(f"{what}: {error}. For example 90, '90s' or '5m'; leave it out for no limit.") from None
    if seconds <= 0:
        raise SettingError(
            f"{what}: a limit of 0 would stop every node at once; use a positive duration such as '90s'."
        )
    return seconds


def node_limit(node: Node, default: float | None = None) -> float | None:
    """The node's own ``@tag(timeout=...)`` in seconds, else ``default``.

    Raises :class:`~hamilflow.errors.SettingError` naming the node when the tag is not a duration.
    """
    raw = node.tags.get(TIMEOUT_TAG)
    if raw is None:
        return default
    return checked_limit(raw, f"@tag({TIMEOUT_TAG}={raw!r}) on '{node.name}' ({node.where})")


def format_seconds(seconds: float) -> str:
    """``90 s``, ``0.5 s``, ``1234567 s``: every digit kept, no float noise."""
    return f"{seconds:.6f}".rstrip("0").rstrip(".") + " s"


class NodeTimeoutError(HamilflowError, TimeoutError):
    """A node ran longer than its time limit; the run stopped.

    ``node``, ``where`` and ``limit`` (seconds) say which and how long; ``batch_position`` is
    the position of the failing item in the unit of work it ran in (the runner turns it
    into the item's index). ``stopped_by`` says what happened to the node.
    """

    def __init__(self, node: str, where: str, limit: float, stopped_by: str = "", batch_position: int = 0) -> None:
        self.node, self.where, self.limit = node, where, limit
        self.stopped_by, self.batch_position = stopped_by, batch_position
        how = f" {stopped_by}" if stopped_by else ""
        super().__init__(
            f"node '{node}' ({where}) ran longer than its limit of {format_seconds(limit)} and was stopped{how}. "
            f"If it needs longer, raise the limit (@tag({TIMEOUT_TAG}=...) on the function, or the executor's "
            "node_timeout); otherwise find out why it does not return (a lock, a network call without timeout, "
            "an endless loop)."
        )

    def __reduce__(self) -> Any:
        return type(self), (self.node, self.where, self.limit, self.stopped_by, self.batch_position)


class NodeWatch:
    """Told by :func:`~hamilflow.execution.node_runner.run_nodes` when items and nodes start and end.

    An executor installs one around its work (see ``node_runner.watching``) to enforce
    limits or to know which item a worker was running. ``always``: call :meth:`node_started`
    for every node, not only for nodes with a limit. This base class enforces nothing.
    """

    default_limit: float | None = None
    always: bool = False

    def item_started(self) -> None:
        """The next item of the unit starts (``run_nodes`` is called once per item)."""

    def node_started(self, node: Node, limit: float | None) -> Any:
        """``node`` starts with ``limit`` seconds (None: none); returns what :meth:`node_finished` gets."""
        return None

    def node_finished(self, token: Any) -> None:
        """The node started with ``token`` returned or raised."""


class NodeExpired(BaseException):
    """Raised inside a node by the alarm; a ``BaseException`` so that the node's own ``except Exception``
    cannot swallow it. ``run_nodes`` turns it into :class:`NodeTimeoutError`."""

    def __init__(self, limit: float) -> None:
        super().__init__(limit)
        self.limit = limit


class AlarmWatch(NodeWatch):
    """Enforces limits with ``SIGALRM`` in the main thread; elsewhere it cannot interrupt a node and does nothing.

    A timer already running (Airflow's ``execution_timeout``, the user's own) is kept: when it is
    due before the node's limit it is left to fire, and what its handler raises gets a note
    naming the node that was running (Airflow's ``AirflowTaskTimeout`` names no node); otherwise
    it is suspended while the node runs and set again, for the time it had left, when the node ends.
    """

    def __init__(self, default_limit: float | None = None) -> None:
        self.default_limit = default_limit

    def node_started(self, node: Node, limit: float | None) -> Any:
        if (
            limit is None
            or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()
        ):
            return None
        outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
        if outer_left and outer_left <= limit:  # the outer timer fires first anyway
            return self._name_the_node_when_the_outer_timer_fires(node, limit)

        def expire(signum: int, frame: Any) -> None:
            raise NodeExpired(limit)

        outer_handler = signal.signal(signal.SIGALRM, expire)
        started = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, limit)
        return outer_handler, outer_left, outer_interval, started

    @staticmethod
    def _name_the_node_when_the_outer_timer_fires(node: Node, limit: float) -> Any:
        """Wrap the outer timer's handler so that what it raises names ``node``; the token restores it."""
        outer_handler = signal.getsignal(signal.SIGALRM)
        if not callable(outer_handler):  # SIG_DFL ends the process, SIG_IGN ignores it: nothing to name
            return None

        def expire_outer(signum: int, frame: Any) -> None:
            try:
                outer_handler(signum, frame)
            except BaseException as error:
                add_note(
                    error,
                    f"hamilflow: node '{node.name}' ({node.where}) was running when this time limit ran out "
                    f"(the node's own limit of {format_seconds(limit)} was not due sooner)",
                )
                raise

        signal.signal(signal.SIGALRM, expire_outer)
        return (outer_handler,)

    def node_finished(self, token: Any) -> None:
        if token is None:
            return
        if len(token) == 1:  # the outer timer runs on: only its handler is put back
            signal.signal(signal.SIGALRM, token[0])
            return
        outer_handler, outer_left, outer_interval, started = token
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if outer_handler is None else outer_handler)
        if outer_left:  # the outer timer goes on with what it had left (at once when that is spent)
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), outer_interval)


MAIN_THREAD_ALARM = AlarmWatch()
