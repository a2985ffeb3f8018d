"""Run block tasks on a Dask cluster, through a ``distributed.Client`` you already have.

A Dask future already offers what hamilflow's runner needs from a future
(``add_done_callback``, ``result``, ``cancel``). Work and results travel as cloudpickle bytes
that hamilflow makes itself: Dask pickles a task's arguments with plain pickle when it can,
which refers to a function by module and name, and a worker that cannot import a module made
at run time (a notebook's, one registered with ``cloudpickle.register_pickle_by_value``) then
fails to read the message and the run never ends. Modules a pipeline imports by name must
be importable on the workers.

The client belongs to the caller: the executor neither starts nor closes it, and
``parallelism`` is the number of worker threads the cluster has when a run starts.

Node time limits (``@tag(timeout="90s")``, and ``node_timeout=`` for nodes without the tag; see
:mod:`hamilflow.execution.timeouts`): Dask runs a task in one of its worker's threads, which
nothing can interrupt. So a unit whose nodes have a limit runs, inside its Dask task, in a
daemon thread watched as the thread executor watches its own
(:class:`~hamilflow.execution.thread_pool.DaemonThreadPool`): when a node overruns, the Dask
task fails at once with :class:`~hamilflow.execution.timeouts.NodeTimeoutError` naming the
node, its line, the item and the limit, and the thread is abandoned on the worker (it ends
when the node returns; the worker's thread is free for other work). The node still sees its
Dask worker (``distributed.get_worker()``). Units without any limit run in Dask's thread as
they always did.

    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> from hamilflow import driver
    >>> from hamilflow.plugins import h_dask
    >>> client = Client(LocalCluster(n_workers=2))  # doctest: +SKIP
    >>> dr = (
    ...     driver.Builder()
    ...     .with_modules(my_module)
    ...     .enable_dynamic_execution(allow_experimental_mode=True)
    ...     .with_remote_executor(h_dask.DaskExecutor(client=client))
    ...     .build()
    ... )  # doctest: +SKIP
"""

from __future__ import annotations

import contextvars
from typing import Any, Callable

import cloudpickle
from distributed import Client, Future

from hamilflow.execution.executors import TaskExecutor
from hamilflow.execution.thread_pool import DaemonThreadPool
from hamilflow.execution.timeouts import TIMEOUT_TAG, checked_limit
from hamilflow.execution.units import TaskProgram


class DaskExecutor(TaskExecutor):
    """Submit each work unit to ``client`` as one Dask task (never deduplicated: ``pure=False``).

    ``node_timeout`` (seconds, or a duration such as ``"90s"``) limits nodes without their own
    ``@tag(timeout=...)``. A Dask worker's thread cannot be killed: when a node overruns, the
    run stops at once with :class:`~hamilflow.execution.timeouts.NodeTimeoutError`, and the
    thread running the node is abandoned on the worker (see the module's docstring).

        >>> DaskExecutor(client=client, node_timeout="5m").node_timeout  # doctest: +SKIP
        300.0
    """

    def __init__(self, *, client: Client, node_timeout: float | str | None = None) -> None:
        self.node_timeout = checked_limit(node_timeout, f"DaskExecutor(node_timeout={node_timeout!r})")
        self.client = client
        self.parallelism = self._worker_threads()

    def _worker_threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def init(self) -> None:
        """Size batches to the cluster as it is now (workers may have come or gone)."""
        self.parallelism = self._worker_threads()

    def submit(self, fn: Callable[..., Any], *args: Any) -> _CloudpickledFuture:
        blob = cloudpickle.dumps((fn, args))
        if self.node_timeout is None and not _has_timeout_tags(args):
            return _CloudpickledFuture(self.client.submit(_call_pickled, blob, pure=False))
        return _CloudpickledFuture(self.client.submit(_call_watched, blob, self.node_timeout, pure=False))

    def __repr__(self) -> str:
        limit = "" if self.node_timeout is None else f", node_timeout={self.node_timeout}"
        return f"DaskExecutor(client={self.client!r}{limit})"


def _has_timeout_tags(args: tuple[Any, ...]) -> bool:
    """Whether the unit runs a node with its own ``@tag(timeout=...)``."""
    return any(isinstance(a, TaskProgram) and any(TIMEOUT_TAG in n.tags for n in a.nodes) for a in args)


def _call_pickled(blob: bytes) -> bytes:
    """On a worker: run the call in ``blob`` and return its result, both as cloudpickle bytes."""
    fn, args = cloudpickle.loads(blob)
    return cloudpickle.dumps(fn(*args))


def _call_watched(blob: bytes, node_timeout: float | None) -> bytes:
    """On a worker: as :func:`_call_pickled`, in a daemon thread whose nodes are held to their limits.

    This Dask thread waits for the unit; when a node overruns, the pool's watchdog fails the
    unit's future with ``NodeTimeoutError`` and this Dask task raises it at once. The node's
    thread runs in a copy of this thread's context, so ``distributed.get_worker()`` works in it.
    """
    fn, args = cloudpickle.loads(blob)
    context = contextvars.copy_context()
    pool = DaemonThreadPool(1, node_timeout)
    try:
        return cloudpickle.dumps(pool.submit(context.run, fn, *args).result())
    finally:
        pool.shutdown(wait=False)


class _CloudpickledFuture:
    """A Dask future whose result is unpickled with cloudpickle, as the runner's futures are read."""

    def __init__(self, future: Future) -> None:
        self._future = future

    def add_done_callback(self, callback: Callable[[Any], None]) -> None:
        self._future.add_done_callback(lambda _: callback(self))

    def result(self, timeout: float | None = None) -> Any:
        return cloudpickle.loads(self._future.result(timeout))

    def cancel(self) -> bool:
        return self._future.cancel()

    def done(self) -> bool:
        return self._future.done()
