"""Task executors: where the runner's work units run, behind one small interface.

An executor takes a function and its arguments and returns a future (anything with
``add_done_callback``, ``result`` and ``cancel``). The runner never waits on a specific
executor; it only reacts to futures completing, so threads, processes, Ray and Dask all
plug in the same way. ``inline`` executors run work immediately in the caller's thread.

Process pools ship work with cloudpickle, so lambdas, closures, functions defined in
``__main__`` or a notebook, and locally defined classes all cross the process boundary.
A user's exception comes back as itself, even one that plain unpickling could not
re-create (see :mod:`hamilflow.execution.portable_errors`).

Every executor takes ``node_timeout``, the time limit of a node without its own
``@tag(timeout=...)``; so do the Dask and Ray executors (:mod:`hamilflow.plugins`).
:mod:`hamilflow.execution.timeouts` says how each one enforces it.

    >>> from hamilflow.execution import executors
    >>> manager = executors.DefaultExecutionManager(
    ...     executors.SynchronousLocalTaskExecutor(), executors.MultiThreadingExecutor(max_tasks=4))
"""

from __future__ import annotations

import abc
import concurrent.futures
import multiprocessing
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable

import cloudpickle

from hamilflow.errors import SettingError
from hamilflow.execution.node_runner import watching
from hamilflow.execution.portable_errors import WorkerDiedError, WorkerError, portable_error, restore_error
from hamilflow.execution.process_pool import ProcessPool, run_pickled
from hamilflow.execution.thread_pool import DaemonThreadPool
from hamilflow.execution.timeouts import AlarmWatch, NodeTimeoutError, checked_limit

__all__ = [
    "DefaultExecutionManager",
    "ExecutionManager",
    "MultiProcessingExecutor",
    "MultiThreadingExecutor",
    "SynchronousLocalTaskExecutor",
    "TaskExecutor",
    "WorkerDiedError",
    "WorkerError",
    "NodeTimeoutError",
    "portable_error",
    "restore_error",
]

if TYPE_CHECKING:
    from hamilflow.execution.plan import TaskSpec


class TaskExecutor(abc.ABC):
    """Runs work units. Subclasses implement :meth:`submit`; ``init``/``finalize`` bracket a run.

    ``parallelism`` tells the runner how many units can run at once, which it uses to
    batch many small items into fewer, larger units.
    """

    inline: bool = False
    parallelism: int = 1
    node_timeout: float | None = None

    def init(self) -> None:
        """Acquire resources (pools, clients) before a run."""

    def finalize(self) -> None:
        """Release what :meth:`init` acquired."""

    def abort(self) -> None:
        """Stop now (the run was interrupted): release resources without waiting for running work."""
        self.finalize()

    @abc.abstractmethod
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)`` and return a future for its result."""

    def __enter__(self) -> TaskExecutor:
        self.init()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finalize()


class SynchronousLocalTaskExecutor(TaskExecutor):
    """Runs each unit immediately in the calling thread: no parallelism, no serialization.

    ``node_timeout`` (seconds, or a duration such as ``"90s"``) limits nodes without their own
    ``@tag(timeout=...)``. A node is interrupted by a ``SIGALRM`` timer, which only works in
    the main thread of a POSIX process: run elsewhere (a thread of a web server, Windows),
    limits are not enforced here; use ``MultiProcessingExecutor`` to enforce them anywhere.

        >>> SynchronousLocalTaskExecutor(node_timeout="5m").node_timeout
        300.0
    """

    def __init__(self, node_timeout: float | str | None = None) -> None:
        self.node_timeout = checked_limit(node_timeout, f"{type(self).__name__}(node_timeout={node_timeout!r})")

    @property
    def inline(self) -> bool:  # type: ignore[override]
        # With a limit, work goes through submit, which sets it for the nodes it runs.
        return self.node_timeout is None

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            if self.node_timeout is None:
                future.set_result(fn(*args))
            else:
                with watching(AlarmWatch(self.node_timeout)):
                    future.set_result(fn(*args))
        except BaseException as error:  # noqa: BLE001 - handed to the runner through the future
            future.set_exception(error)
        return future

    def __repr__(self) -> str:
        return f"{type(self).__name__}(node_timeout={self.node_timeout})"


def _checked_max_tasks(owner: str, max_tasks: Any) -> int | None:
    """``max_tasks`` as given, refused now rather than when the first run starts the pool."""
    if max_tasks is None:
        return None
    if isinstance(max_tasks, bool) or not isinstance(max_tasks, int):
        raise SettingError(
            f"{owner}(max_tasks={max_tasks!r}): max_tasks is the number of tasks that run at once, so it must "
            f"be a whole number, not {type(max_tasks).__name__}. Pass an int such as max_tasks=4, or leave it "
            "out to use one per CPU."
        )
    if max_tasks < 1:
        raise SettingError(
            f"{owner}(max_tasks={max_tasks}): at least one task must be able to run, so max_tasks must be 1 or "
            "more. Pass a positive number such as max_tasks=4, or leave it out to use one per CPU."
        )
    return max_tasks


class _PoolExecutor(TaskExecutor):
    def __init__(self, max_tasks: int | None = None, node_timeout: float | str | None = None) -> None:
        self.max_tasks = _checked_max_tasks(type(self).__name__, max_tasks) or os.cpu_count() or 1
        self.parallelism = self.max_tasks
        self.node_timeout = checked_limit(node_timeout, f"{type(self).__name__}(node_timeout={node_timeout!r})")
        self._pool: concurrent.futures.Executor | None = None

    def _make_pool(self) -> concurrent.futures.Executor:
        raise NotImplementedError

    def init(self) -> None:
        if self._pool is None:
            self._pool = self._make_pool()

    def finalize(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self) -> None:
        """Cancel what has not started and return at once; a thread already running a node finishes it alone."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _ensure_pool(self) -> concurrent.futures.Executor:
        if self._pool is None:
            self.init()
        return self._pool

    def __repr__(self) -> str:
        limit = "" if self.node_timeout is None else f", node_timeout={self.node_timeout}"
        return f"{type(self).__name__}(max_tasks={self.max_tasks}{limit})"


class MultiThreadingExecutor(_PoolExecutor):
    """A pool of ``max_tasks`` threads; suits I/O-bound nodes and code that releases the GIL.

    ``node_timeout`` (seconds, or a duration such as ``"90s"``) limits nodes without their own
    ``@tag(timeout=...)``. A thread cannot be killed: when a node overruns, the run stops at
    once with :class:`~hamilflow.execution.timeouts.NodeTimeoutError`, and the thread is left
    to finish the node alone (a daemon thread: it does not keep the program alive). Use
    :class:`MultiProcessingExecutor` when a node that overruns must really be stopped.

        >>> MultiThreadingExecutor(4, node_timeout="90s")
        MultiThreadingExecutor(max_tasks=4, node_timeout=90.0)
    """

    def _make_pool(self) -> concurrent.futures.Executor:
        return DaemonThreadPool(self.max_tasks, self.node_timeout)

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        return self._ensure_pool().submit(fn, *args)


class _Unpickled(concurrent.futures.Future):
    """The parent's view of a process future: unpickles the result with cloudpickle.

    Whatever goes wrong while copying the outcome becomes this future's exception: a
    done-callback that raised would leave the future pending and the run waiting forever.
    """

    def __init__(self, inner: concurrent.futures.Future) -> None:
        super().__init__()
        self._inner = inner
        inner.add_done_callback(self._copy)

    def _copy(self, inner: concurrent.futures.Future) -> None:
        if inner.cancelled():
            super().cancel()
            self.set_running_or_notify_cancel()
            return
        try:
            error = inner.exception()
            if error is None:
                ok, value = cloudpickle.loads(inner.result())
            else:
                ok, value = False, error
            if not ok:
                value = restore_error(value)
        except BaseException as problem:  # noqa: BLE001 - handed to the runner through the future
            ok, value = False, problem
        if ok:
            self.set_result(value)
        else:
            self.set_exception(value)

    def cancel(self) -> bool:
        return self._inner.cancel()


def _safe_start_method() -> str:
    available = multiprocessing.get_all_start_methods()
    if "fork" in available and sys.platform != "darwin" and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in available else "spawn"


def _unpicklable_work(fn: Callable[..., Any], args: tuple[Any, ...], problem: Exception) -> WorkerError:
    """Say which value of a unit could not be pickled to send it to a worker (and which item, if a list)."""
    for arg in args:
        try:
            cloudpickle.dumps(arg)
            continue
        except Exception:  # noqa: BLE001 - looking for the part that fails
            pass
        if isinstance(arg, list):
            for position, item in enumerate(arg):
                for name, value in item.items() if isinstance(item, dict) else [("", item)]:
                    try:
                        cloudpickle.dumps(value)
                    except Exception as cause:  # noqa: BLE001 - the culprit
                        label = f"the value '{name}' " if name else "a value "
                        return WorkerDiedError(
                            f"{label}({type(value).__qualname__}) cannot be pickled to send it to a worker process: "
                            f"{type(cause).__name__}: {cause}. Return picklable values from the nodes that make it, "
                            "or run this block on threads (MultiThreadingExecutor).",
                            position,
                        )
    return WorkerError(
        f"the work for a worker process cannot be pickled: {type(problem).__name__}: {problem}. Use picklable "
        "values and functions, or run on threads (MultiThreadingExecutor)."
    )


def _preload_in_forkserver(*modules: str) -> None:
    """Have the fork server import ``modules`` once, so that each worker it forks starts with them imported.

    Without it every worker imports hamilflow and Hamilton's decorators again: seconds per worker,
    and a pool is made per run. Added to the modules already listed; effective when the server starts.
    """
    from multiprocessing import forkserver

    listed = list(getattr(getattr(forkserver, "_forkserver", None), "_preload_modules", None) or ["__main__"])
    missing = [m for m in modules if m not in listed]
    if missing:
        multiprocessing.get_context("forkserver").set_forkserver_preload([*listed, *missing])


class MultiProcessingExecutor(_PoolExecutor):
    """A pool of up to ``max_tasks`` worker processes; work and results travel with cloudpickle.

    Workers start as work arrives, never more than there are units running at once. A
    worker that dies (a crash in native code, ``os._exit``, the out-of-memory killer) fails
    the run with :class:`~hamilflow.execution.portable_errors.WorkerDiedError` naming the
    node and the item it was running.

    ``node_timeout`` (seconds, or a duration such as ``"90s"``) limits nodes without their
    own ``@tag(timeout=...)``: a worker whose node overruns is killed and the run raises
    :class:`~hamilflow.execution.timeouts.NodeTimeoutError` naming the node and the item.

    ``start_method`` is a :mod:`multiprocessing` start method (``"spawn"``,
    ``"forkserver"``, ``"fork"``). By default a single-threaded process forks (workers
    start at once, with everything already imported), and a process that already runs
    threads (a Dask client, Ray, a thread pool, Airflow) uses ``"forkserver"``: forking
    it could copy a lock another thread holds into the child and hang the worker. (The
    pool's own monitor thread holds no lock a worker uses.) Work travels with cloudpickle
    either way, so functions defined in ``__main__`` reach workers.

        >>> MultiProcessingExecutor(120, node_timeout="10m")
        MultiProcessingExecutor(max_tasks=120, node_timeout=600.0)
    """

    def __init__(
        self, max_tasks: int | None = None, start_method: str | None = None, node_timeout: float | str | None = None
    ) -> None:
        super().__init__(max_tasks, node_timeout)
        available = multiprocessing.get_all_start_methods()
        if start_method is not None and start_method not in available:
            raise SettingError(
                f"MultiProcessingExecutor(start_method={start_method!r}): this platform has no such "
                f"multiprocessing start method. Use one of {', '.join(map(repr, available))}, or leave it out to "
                "let hamilflow choose a safe one."
            )
        self.start_method = start_method

    def _make_pool(self) -> concurrent.futures.Executor:
        method = self.start_method or _safe_start_method()
        if method == "forkserver":
            _preload_in_forkserver("hamilflow.execution.runner", "hamilflow.function_modifiers")
        return ProcessPool(self.max_tasks, method, run_pickled, self.node_timeout)

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        try:
            payload = cloudpickle.dumps((fn, args))
        except Exception as problem:  # noqa: BLE001 - reported through the future, naming the item
            future: concurrent.futures.Future = concurrent.futures.Future()
            future.set_exception(_unpicklable_work(fn, args, problem))
            return future
        return _Unpickled(self._ensure_pool().submit(payload))

    def abort(self) -> None:
        """Kill the worker processes (a node may never return on its own) and leave no orphan behind."""
        pool = self._pool
        if pool is None:
            return
        self._pool = None
        pool.kill()


class ExecutionManager(abc.ABC):
    """Chooses the executor for each task."""

    def __init__(self, executors: list[TaskExecutor]) -> None:
        self.executors = executors

    def init(self) -> None:
        for executor in self.executors:
            executor.init()

    def finalize(self) -> None:
        for executor in self.executors:
            executor.finalize()

    def abort(self) -> None:
        """Stop every executor now: the run was interrupted (Ctrl-C)."""
        for executor in self.executors:
            executor.abort()

    @abc.abstractmethod
    def get_executor_for_task(self, task: TaskSpec) -> TaskExecutor:
        """The executor that runs ``task``."""


class DefaultExecutionManager(ExecutionManager):
    """Tasks inside a ``Parallelizable`` block go to the remote executor; the rest run locally."""

    def __init__(self, local_executor: TaskExecutor | None = None, remote_executor: TaskExecutor | None = None) -> None:
        self.local_executor = local_executor or SynchronousLocalTaskExecutor()
        self.remote_executor = remote_executor or MultiThreadingExecutor(max_tasks=10)
        super().__init__([self.local_executor, self.remote_executor])

    def get_executor_for_task(self, task: TaskSpec) -> TaskExecutor:
        return self.remote_executor if task.path else self.local_executor
