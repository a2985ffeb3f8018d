"""The thread pool behind :class:`~hamilflow.execution.executors.MultiThreadingExecutor`.

Its threads are daemons, started as work arrives, so that after Ctrl-C a script does not
wait for running nodes; and it enforces node time limits (:mod:`hamilflow.execution.timeouts`)
with a watchdog thread. A thread cannot be killed, so a node that overruns is *abandoned*:
its unit fails at once, and the thread stops at its next item or node.

    >>> pool = DaemonThreadPool(2)
    >>> pool.submit(pow, 2, 10).result()
    1024
    >>> pool.shutdown()
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
import time
from typing import Any, Callable

from hamilflow.errors import HamilflowError
from hamilflow.execution.node_runner import watching
from hamilflow.execution.timeouts import NodeTimeoutError, NodeWatch


class _Abandoned(BaseException):
    """Ends the unit of a thread whose node overran its limit, once that node returns (see ``_ThreadWatch``)."""


class _ThreadWatch(NodeWatch):
    """Where a pool thread is in its unit, for the pool's watchdog: item position, node, start, limit.

    Once the watchdog has failed the unit (``abandoned``), the thread stops at its next item
    or node: it cannot be stopped sooner.
    """

    def __init__(self, pool: DaemonThreadPool, future: concurrent.futures.Future) -> None:
        self.pool, self.future = pool, future
        self.default_limit = pool.node_timeout
        self.position = -1
        self.node: Any = None
        self.deadline = 0.0
        self.limit = 0.0
        self.abandoned = False

    def item_started(self) -> None:
        if self.abandoned:
            raise _Abandoned
        self.position += 1

    def node_started(self, node: Any, limit: float | None) -> Any:
        if self.abandoned:
            raise _Abandoned
        if limit is not None:
            self.node, self.limit, self.deadline = node, limit, time.monotonic() + limit
            self.pool.watch_from_now()
        return None

    def node_finished(self, token: Any) -> None:
        self.deadline = 0.0


class DaemonThreadPool(concurrent.futures.Executor):
    """A thread pool whose threads do not hold the interpreter open at exit, with node time limits.

    ``ThreadPoolExecutor`` joins its threads when the interpreter exits, so after Ctrl-C a
    script would still wait for every running node to return. These threads are daemons
    and start as work arrives (never more than ``max_workers``). A watchdog thread, started
    when the first node with a limit runs, fails the unit of a node that overruns its limit
    at once; the thread running it is *abandoned*: it is not waited for, and another thread
    may take its place.
    """

    def __init__(self, max_workers: int, node_timeout: float | None = None) -> None:
        self._max_workers = max_workers
        self.node_timeout = node_timeout
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._watches: dict[threading.Thread, _ThreadWatch] = {}
        self._idle = 0
        self._lock = threading.Lock()
        self._deadlines = threading.Condition(self._lock)
        self._watchdog: threading.Thread | None = None
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
        me = threading.current_thread()
        while True:
            item = self._work.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            if future.set_running_or_notify_cancel():
                watch = _ThreadWatch(self, future)
                with self._lock:
                    self._watches[me] = watch
                try:
                    with watching(watch):
                        result = fn(*args, **kwargs)
                except BaseException as error:  # noqa: BLE001 - handed to whoever waits on the future
                    outcome: tuple[bool, Any] = (False, error)
                else:
                    outcome = (True, result)
                with self._lock:
                    del self._watches[me]
                if watch.abandoned:  # the watchdog failed this unit and let another thread take this one's place
                    return
                if outcome[0]:
                    future.set_result(outcome[1])
                else:
                    future.set_exception(outcome[1])
                del watch, outcome
            del item, future, fn, args, kwargs  # idle, this thread holds no value of the run alive
            with self._lock:
                self._idle += 1

    # ------------------------------------------------------------------ the watchdog
    def watch_from_now(self) -> None:
        """A node with a limit started: make sure the watchdog runs and sees its deadline."""
        with self._deadlines:
            if self._watchdog is None:
                self._watchdog = threading.Thread(target=self._watch, name="hamilflow_watchdog", daemon=True)
                self._watchdog.start()
            self._deadlines.notify()

    def _watch(self) -> None:
        with self._deadlines:
            # until the pool is shut down and no thread it still waits for runs a unit
            while not (self._closed and all(w.abandoned for w in self._watches.values())):
                now = time.monotonic()
                due = [w for w in self._watches.values() if w.deadline and not w.abandoned]
                for watch in due:
                    if watch.deadline <= now:
                        self._abandon(watch)
                upcoming = [w.deadline - now for w in due if w.deadline > now]
                self._deadlines.wait(timeout=min(upcoming) if upcoming else 1.0)  # a unit's end is not notified

    def _abandon(self, watch: _ThreadWatch) -> None:
        """Fail the unit whose node overran; the thread goes on alone until the node returns. Under the lock."""
        watch.abandoned = True
        for thread, candidate in self._watches.items():
            if candidate is watch and thread in self._threads:
                self._threads.remove(thread)  # not waited for at shutdown; another thread may start in its place
        node = watch.node
        watch.future.set_exception(
            NodeTimeoutError(
                node.name,
                node.where,
                watch.limit,
                "(a thread cannot be killed: it was abandoned and ends when the node returns; "
                "use MultiProcessingExecutor to kill nodes that overrun)",
                max(watch.position, 0),
            )
        )

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
            self._deadlines.notify()
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
        for _ in threads:
            self._work.put(None)
        if wait:
            for thread in threads:
                while thread.is_alive():  # a thread abandoned meanwhile is no longer waited for
                    thread.join(timeout=0.1)
                    with self._lock:
                        if thread not in self._threads:
                            break
