"""Run block tasks on a Dask cluster, through a ``distributed.Client`` you already have.

A Dask future already offers what hamilflow's runner needs from a future
(``add_done_callback``, ``result``, ``cancel``), so the executor only submits. Work
travels with Dask's serialization (cloudpickle), so closures and functions defined at
runtime reach the workers; modules a pipeline imports must be importable there.

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

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        return self.client.submit(fn, *args, pure=False)

    def __repr__(self) -> str:
        return f"DaskExecutor(client={self.client!r})"
