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

from typing import Any, Callable

import cloudpickle
from distributed import Client, Future

from hamilflow.execution.executors import TaskExecutor


class DaskExecutor(TaskExecutor):
    """Submit each work unit to ``client`` as one Dask task (never deduplicated: ``pure=False``)."""

    def __init__(self, *, client: Client) -> None:
        self.client = client
        self.parallelism = self._worker_threads()

    def _worker_threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def init(self) -> None:
        """Size batches to the cluster as it is now (workers may have come or gone)."""
        self.parallelism = self._worker_threads()

    def submit(self, fn: Callable[..., Any], *args: Any) -> _CloudpickledFuture:
        return _CloudpickledFuture(self.client.submit(_call_pickled, cloudpickle.dumps((fn, args)), pure=False))

    def __repr__(self) -> str:
        return f"DaskExecutor(client={self.client!r})"


def _call_pickled(blob: bytes) -> bytes:
    """On a worker: run the call in ``blob`` and return its result, both as cloudpickle bytes."""
    fn, args = cloudpickle.loads(blob)
    return cloudpickle.dumps(fn(*args))


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
