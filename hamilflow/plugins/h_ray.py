"""Run block tasks on Ray: each work unit is one Ray task.

``init`` starts a local Ray (``ray.init(num_cpus=..., **ray_init_config)``) unless Ray is
already running, and ``finalize`` shuts down only a Ray it started, so a Ray you
connected to yourself survives the run. The driver brackets every ``execute`` with
``init``/``finalize``, so call ``ray.init()`` yourself when you run many times and do
not want a Ray start (seconds) per run. Work travels with Ray's serialization
(cloudpickle). ``parallelism`` is ``num_cpus``, or the cluster's CPUs.

A Ray task's future is ``ref.future()``; hamilflow wraps it so that ``result`` raises
the user's own exception (Ray wraps it in a ``RayTaskError``) and ``cancel`` cancels the
Ray task, not only the local future. Exceptions that pickle cannot re-create (an
``__init__`` with other arguments than the message) still arrive as themselves, as with
process pools (see :mod:`hamilflow.execution.portable_errors`).

Node time limits (``@tag(timeout="90s")``, and ``node_timeout=`` for nodes without the tag; see
:mod:`hamilflow.execution.timeouts`): Ray runs a task in its worker's main thread, so a
``SIGALRM`` timer interrupts a node that overruns, and the run stops with
:class:`~hamilflow.execution.timeouts.NodeTimeoutError` naming the node, its line, the item
and the limit; the worker goes on with other work.

    >>> from hamilflow.plugins import h_ray
    >>> executor = h_ray.RayTaskExecutor(num_cpus=2, ray_init_config={"include_dashboard": False})
"""

from __future__ import annotations

import concurrent.futures
import gc
from typing import Any, Callable

import cloudpickle
import ray
from ray.exceptions import RayTaskError

from hamilflow.errors import EnvironmentProblem
from hamilflow.execution.executors import TaskExecutor
from hamilflow.execution.node_runner import watching
from hamilflow.execution.portable_errors import portable_error, restore_error
from hamilflow.execution.timeouts import AlarmWatch, checked_limit


def _call(blob: bytes, node_timeout: float | None = None) -> bytes:
    """On a worker: run the call in ``blob`` (cloudpickle bytes, see :meth:`RayTaskExecutor.submit`); its result
    goes back as cloudpickle bytes too. ``node_timeout`` limits the nodes without their own ``@tag(timeout=...)``
    (the worker's main thread runs the task, so the alarm can interrupt them)."""
    fn, args = cloudpickle.loads(blob)
    try:
        if node_timeout is None:
            return cloudpickle.dumps(fn(*args))
        with watching(AlarmWatch(node_timeout)):
            return cloudpickle.dumps(fn(*args))
    except Exception as error:
        portable = portable_error(error)
        if portable is error:
            raise
        raise portable from None


_remote_call = None
# How long the end of a run waits for the Ray tasks it cancelled to settle, before it kills their workers.
_SETTLE_SECONDS = 30.0


def _remote() -> Any:
    global _remote_call
    if _remote_call is None:
        _remote_call = ray.remote(_call)
    return _remote_call


class _RayFuture(concurrent.futures.Future):
    """A future for one Ray task: unwraps ``RayTaskError`` and cancels the task itself.

    It lets go of the task's ``ObjectRef`` once answered: a ref released after ``ray.shutdown()`` (a future
    kept alive by a traceback, collected later) makes Ray end the whole process.
    """

    def __init__(self, ref: ray.ObjectRef) -> None:
        super().__init__()
        self.ref: ray.ObjectRef | None = ref
        ref.future().add_done_callback(self._copy)

    def _copy(self, inner: concurrent.futures.Future) -> None:
        try:
            if inner.cancelled():
                super().cancel()
                self.set_running_or_notify_cancel()
                return
            error = inner.exception()
            if error is None:
                self.set_result(cloudpickle.loads(inner.result()))
            elif isinstance(error, RayTaskError) and isinstance(error.cause, BaseException):
                self.set_exception(restore_error(error.cause))
            else:
                self.set_exception(error)
        finally:
            self.ref = None

    def cancel(self) -> bool:
        ref = self.ref
        if ref is None or self.done():
            return False
        ray.cancel(ref)
        return True


class RayTaskExecutor(TaskExecutor):
    """Run work units as Ray tasks of one CPU each.

    ``num_cpus`` and ``ray_init_config`` go to ``ray.init`` when this executor starts Ray;
    ``skip_init=True`` never starts it (Ray must then be initialised by the caller).
    ``node_timeout`` (seconds, or a duration such as ``"90s"``) limits nodes without their own
    ``@tag(timeout=...)``: the worker's alarm interrupts a node that overruns.

        >>> RayTaskExecutor(num_cpus=2, node_timeout="5m")
        RayTaskExecutor(num_cpus=2, node_timeout=300.0)
    """

    def __init__(
        self,
        num_cpus: int | None = None,
        ray_init_config: dict[str, Any] | None = None,
        skip_init: bool = False,
        node_timeout: float | str | None = None,
    ) -> None:
        self.node_timeout = checked_limit(node_timeout, f"RayTaskExecutor(node_timeout={node_timeout!r})")
        self.num_cpus = num_cpus
        self.ray_init_config = dict(ray_init_config or {})
        self.skip_init = skip_init
        self.parallelism = num_cpus or 1
        self._started = False
        self._unsettled: set[_RayFuture] = set()  # submitted and not yet answered (cancelled ones included)

    def init(self) -> None:
        if not ray.is_initialized():
            if self.skip_init:
                raise EnvironmentProblem(
                    "RayTaskExecutor(skip_init=True) needs Ray running: call ray.init() before the run, "
                    "or drop skip_init to let the executor start a local Ray."
                )
            ray.init(num_cpus=self.num_cpus, **self.ray_init_config)
            self._started = True
        self.parallelism = self.num_cpus or max(1, int(ray.cluster_resources().get("CPU", 1)))

    def finalize(self) -> None:
        self._settle()
        if self._started:
            gc.collect()  # refs held only by garbage cycles (an old traceback's frames) go while Ray can take them
            ray.shutdown()
            self._started = False

    def _settle(self) -> None:
        """Wait until every task this executor submitted has answered, cancelled ones included.

        Ray answers a task's future on a thread of its own; an answer that arrives after ``ray.shutdown()``
        (of this executor's Ray or of the caller's) makes Ray end the whole process. A task that ignores its
        cancellation past ``_SETTLE_SECONDS`` has its worker killed.
        """
        pending = [future for future in list(self._unsettled) if not future.done()]
        if not pending:
            return
        _, late = concurrent.futures.wait(pending, timeout=_SETTLE_SECONDS)
        for future in late:
            if future.ref is not None:
                ray.cancel(future.ref, force=True)
        concurrent.futures.wait(late, timeout=_SETTLE_SECONDS)

    def submit(self, fn: Callable[..., Any], *args: Any) -> _RayFuture:
        if not ray.is_initialized():
            self.init()
        # pickled here with cloudpickle, which honours register_pickle_by_value: Ray's own pickler refers to
        # a function by module and name, which a worker cannot import for a module made at run time
        future = _RayFuture(_remote().remote(cloudpickle.dumps((fn, args)), self.node_timeout))
        self._unsettled.add(future)
        future.add_done_callback(self._unsettled.discard)
        return future

    def __repr__(self) -> str:
        limit = "" if self.node_timeout is None else f", node_timeout={self.node_timeout}"
        return f"RayTaskExecutor(num_cpus={self.num_cpus}{limit})"
