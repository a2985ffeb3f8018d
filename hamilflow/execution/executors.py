"""Task executors: where the runner's work units run, behind one small interface.

An executor takes a function and its arguments and returns a future (anything with
``add_done_callback``, ``result`` and ``cancel``). The runner never waits on a specific
executor; it only reacts to futures completing, so threads, processes, Ray and Dask all
plug in the same way. ``inline`` executors run work immediately in the caller's thread.

Process pools ship work with cloudpickle, so lambdas, closures, functions defined in
``__main__`` or a notebook, and locally defined classes all cross the process boundary.
A user's exception comes back as itself, even one that plain unpickling could not
re-create (see :mod:`hamilflow.execution.portable_errors`).

    >>> from hamilflow.execution import executors
    >>> manager = executors.DefaultExecutionManager(
    ...     executors.SynchronousLocalTaskExecutor(), executors.MultiThreadingExecutor(max_tasks=4))
"""

from __future__ import annotations

import abc
import concurrent.futures
import multiprocessing
import os
import queue
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable

import cloudpickle

from hamilflow.errors import HamilflowError, SettingError
from hamilflow.execution.portable_errors import WorkerError, portable_error, restore_error

__all__ = [
    "DefaultExecutionManager",
    "ExecutionManager",
    "MultiProcessingExecutor",
    "MultiThreadingExecutor",
    "SynchronousLocalTaskExecutor",
    "TaskExecutor",
    "WorkerError",
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
    """Runs each unit immediately in the calling thread: no parallelism, no serialization."""

    inline = True

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args))
        except BaseException as error:  # noqa: BLE001 - handed to the runner through the future
            future.set_exception(error)
        return future


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
    def __init__(self, max_tasks: int | None = None) -> None:
        self.max_tasks = _checked_max_tasks(type(self).__name__, max_tasks) or os.cpu_count() or 1
        self.parallelism = self.max_tasks
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
        return f"{type(self).__name__}(max_tasks={self.max_tasks})"


class _DaemonThreadPool(concurrent.futures.Executor):
    """A thread pool whose threads do not hold the interpreter open at exit.

    ``ThreadPoolExecutor`` joins its threads when the interpreter exits, so after Ctrl-C a
    script would still wait for every running node to return. These threads are daemons
    and start as work arrives (never more than ``max_workers``).
    """

    def __init__(self, max_workers: int) -> None:
        self._max_workers = max_workers
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise HamilflowError("cannot submit work to a thread pool that was shut down")
            self._work.put((future, fn, args, kwargs))
            if self._idle == 0 and len(self._threads) < self._max_workers:
                thread = threading.Thread(target=self._serve, name=f"hamilflow_{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
            else:
                self._idle -= 1 if self._idle else 0
        return future

    def _serve(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as error:  # noqa: BLE001 - handed to whoever waits on the future
                    future.set_exception(error)
            del item, future, fn, args, kwargs  # idle, this thread holds no value of the run alive
            with self._lock:
                self._idle += 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
        if cancel_futures:
            pending = []
            while True:
                try:
                    pending.append(self._work.get_nowait())
                except queue.Empty:
                    break
            for item in pending:
                if item is not None:
                    item[0].cancel()
        for _ in self._threads:
            self._work.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


class MultiThreadingExecutor(_PoolExecutor):
    """A pool of ``max_tasks`` threads; suits I/O-bound nodes and code that releases the GIL."""

    def _make_pool(self) -> concurrent.futures.Executor:
        return _DaemonThreadPool(self.max_tasks)

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        return self._ensure_pool().submit(fn, *args)


def _run_pickled(payload: bytes) -> bytes:
    fn, args = cloudpickle.loads(payload)
    try:
        result = fn(*args)
        try:
            return cloudpickle.dumps((True, result))
        except Exception:  # noqa: BLE001 - a result that can say which of its parts failed to pickle does
            if not hasattr(result, "portable"):
                raise
            return cloudpickle.dumps((True, result.portable()))
    except BaseException as error:  # noqa: BLE001 - returned to the parent, which re-raises it
        return cloudpickle.dumps((False, portable_error(error)))


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


class MultiProcessingExecutor(_PoolExecutor):
    """A pool of ``max_tasks`` worker processes; work and results travel with cloudpickle.

    ``start_method`` is a :mod:`multiprocessing` start method (``"spawn"``,
    ``"forkserver"``, ``"fork"``). By default a single-threaded process forks (workers
    start at once, with everything already imported), and a process that already runs
    threads (a Dask client, Ray, a thread pool, Airflow) uses ``"forkserver"``: forking
    it could copy a lock another thread holds into the child and hang the worker. Work
    travels with cloudpickle either way, so functions defined in ``__main__`` reach workers.
    """

    def __init__(self, max_tasks: int | None = None, start_method: str | None = None) -> None:
        super().__init__(max_tasks)
        available = multiprocessing.get_all_start_methods()
        if start_method is not None and start_method not in available:
            raise SettingError(
                f"MultiProcessingExecutor(start_method={start_method!r}): this platform has no such "
                f"multiprocessing start method. Use one of {', '.join(map(repr, available))}, or leave it out to "
                "let hamilflow choose a safe one."
            )
        self.start_method = start_method

    def _make_pool(self) -> concurrent.futures.Executor:
        context = multiprocessing.get_context(self.start_method or _safe_start_method())
        return concurrent.futures.ProcessPoolExecutor(self.max_tasks, mp_context=context)

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        return _Unpickled(self._ensure_pool().submit(_run_pickled, cloudpickle.dumps((fn, args))))

    def abort(self) -> None:
        """Kill the worker processes (a node may never return on its own) and leave no orphan behind."""
        pool = self._pool
        if pool is None:
            return
        workers = list(getattr(pool, "_processes", {}).values())  # the pool offers no public way to reach them
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None


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
