"""A pool of worker processes that knows what each worker is doing, for :class:`MultiProcessingExecutor`.

``concurrent.futures.ProcessPoolExecutor`` cannot say which item a worker was running when
it died (a segfault, ``os._exit``, the OOM killer's SIGKILL), cannot stop one worker whose
node overran its time limit without breaking the whole pool, and with ``fork`` starts all of
its workers at once, however little work there is. This pool does the three:

* each worker runs one unit at a time, sent and answered over its own pair of pipes, so a
  death fails that unit only;
* while it works, the worker writes the position of the item it runs, the node and the time
  the node started into a small shared-memory *slot* (a few bytes, no system call); the
  parent reads the slot when the worker dies or when its node's limit
  (:mod:`hamilflow.execution.timeouts`) has passed, and then kills it;
* a worker starts only when a unit arrives and every worker is busy, never more than ``max_workers``.

One thread in the parent (the *monitor*) waits on every worker's result pipe and process
sentinel at once, and looks at the slots a few times a second while work runs.

    >>> pool = ProcessPool(2, "spawn")
    >>> pool.submit(b"...")  # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any, Callable

import cloudpickle

from hamilflow.errors import HamilflowError
from hamilflow.execution.node_runner import current_watch, watching
from hamilflow.execution.portable_errors import WorkerDiedError, portable_error
from hamilflow.execution.timeouts import NodeTimeoutError, NodeWatch

_CRASH_SIGNALS = (signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL)
_LABEL_BYTES = 512
_SEPARATOR = "\x1f"  # between a node's name and where it is defined, in a slot's label
_POLL = 0.1  # seconds between looks at the slots while work runs (the precision of time limits)
# slot numbers: a sequence (odd while the worker writes), item position, node start (0: no node), limit (0: none)
_SEQ, _POSITION, _STARTED, _LIMIT = range(4)


class _Slot:
    """What a worker is doing, in shared memory: written by the worker, read by the parent."""

    def __init__(self, context: Any) -> None:
        self.numbers = context.RawArray(ctypes.c_double, 4)
        self.label = context.RawArray(ctypes.c_char, _LABEL_BYTES)

    def read(self) -> tuple[int, float, float, str]:
        """(position, node start, limit, node label), consistent (retries while the worker writes)."""
        numbers = self.numbers
        for _ in range(100):
            before = numbers[_SEQ]
            position, started, limit = int(numbers[_POSITION]), numbers[_STARTED], numbers[_LIMIT]
            label = self.label.value.decode("utf-8", "replace")
            if before == numbers[_SEQ] and not int(before) % 2:
                return position, started, limit, label
            time.sleep(0.001)
        return position, started, limit, label


class _SlotWatch(NodeWatch):
    """The worker's side: records each item and node in the slot (see the module docstring)."""

    always = True

    def __init__(self, slot: _Slot, default_limit: float | None) -> None:
        self.numbers, self.label = slot.numbers, slot.label
        self.default_limit = default_limit
        self.labels: dict[int, bytes] = {}

    def begin(self) -> None:
        numbers = self.numbers
        numbers[_SEQ] += 1
        numbers[_POSITION], numbers[_STARTED], numbers[_LIMIT] = -1, 0.0, 0.0
        self.label.value = b""
        numbers[_SEQ] += 1

    def item_started(self) -> None:
        self.numbers[_POSITION] += 1  # one number: a reader sees the old or the new value

    def node_started(self, node: Any, limit: float | None) -> Any:
        label = self.labels.get(id(node))
        if label is None:  # keyed by id while the unit's nodes are alive (cleared per unit)
            label = self.labels[id(node)] = f"{node.name}{_SEPARATOR}{node.where}".encode()[: _LABEL_BYTES - 1]
        numbers = self.numbers
        numbers[_SEQ] += 1
        self.label.value = label
        numbers[_LIMIT] = limit or 0.0
        numbers[_STARTED] = time.monotonic()
        numbers[_SEQ] += 1
        return None

    def node_finished(self, token: Any) -> None:
        self.numbers[_STARTED] = 0.0

    def now(self) -> tuple[int, str]:
        """(position of the item running, label of the node last started) as this worker sees them."""
        return max(int(self.numbers[_POSITION]), 0), self.label.value.decode("utf-8", "replace")


def run_pickled(payload: bytes) -> bytes:
    """Run a unit sent as ``cloudpickle.dumps((fn, args))``; answer ``(True, result)`` or ``(False, error)``.

    A result that cannot be pickled and knows how to say which of its parts failed (a
    ``portable()`` method) is sent in that form. ``sys.exit`` in a node would end the
    worker and, raised again in the parent, the caller's program: it comes back as a
    :class:`WorkerDiedError` naming the node and the item instead.
    """
    fn, args = cloudpickle.loads(payload)
    try:
        result = fn(*args)
        try:
            return cloudpickle.dumps((True, result))
        except Exception:  # noqa: BLE001 - a result that can say which of its parts failed to pickle does
            if not hasattr(result, "portable"):
                raise
            return cloudpickle.dumps((True, result.portable()))
    except (SystemExit, KeyboardInterrupt) as stop:
        return cloudpickle.dumps((False, _exit_error(stop)))
    except BaseException as error:  # noqa: BLE001 - returned to the parent, which re-raises it
        return cloudpickle.dumps((False, portable_error(error)))


def _exit_error(stop: BaseException) -> WorkerDiedError:
    watch = current_watch()
    position, label = watch.now() if isinstance(watch, _SlotWatch) else (0, "")
    name, _, where = label.partition(_SEPARATOR)
    what = f"sys.exit({stop.code!r})" if isinstance(stop, SystemExit) else type(stop).__name__
    doing = f"node '{name}' ({where})" if name else "the unit of work"
    return WorkerDiedError(
        f"{doing} raised {what} in a worker process, which would end the worker and then the run's own program. "
        "A node should raise an exception to fail; return a value to succeed.",
        position,
    )


def _worker_main(
    tasks: Any, results: Any, slot: _Slot, run: Callable[[bytes], bytes], default_limit: float | None
) -> None:
    """A worker's loop: receive a unit, run it with the slot watching, send the answer; stop on an empty message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills its workers
    # A crash must end the worker, so that the parent names the item it ran. A Python handler of a crash signal,
    # inherited through fork (Airflow's DAG parsing installs one for SIGSEGV and never removes it), returns to the
    # faulting instruction, which faults again: the worker would spin forever at full CPU.
    for crash in _CRASH_SIGNALS:
        if callable(signal.getsignal(crash)):
            signal.signal(crash, signal.SIG_DFL)
    watch = _SlotWatch(slot, default_limit)
    while True:
        try:
            payload = tasks.recv_bytes()
        except (EOFError, OSError):
            return
        if not payload:  # the parent's "stop" (EOF alone may never come: a forked sibling holds the pipe open)
            return
        watch.begin()
        with watching(watch):
            answer = run(payload)
        watch.labels.clear()
        results.send_bytes(answer)


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C that arrives while a worker is being started; raise it once the worker has started.

    A fork runs the interpreter's at-fork callbacks (the logging module's lock release among them),
    and a KeyboardInterrupt raised inside one is printed and dropped: the run went on as if Ctrl-C
    had never been pressed. Python handles signals in the main thread only, so there is nothing to
    hold elsewhere.
    """
    handler = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(handler):
        yield
        return
    pressed: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        if pressed:
            signal.raise_signal(signal.SIGINT)


class _Worker:
    def __init__(self, context: Any, run: Callable[[bytes], bytes], default_limit: float | None) -> None:
        self.slot = _Slot(context)
        task_reader, self.tasks = context.Pipe(duplex=False)
        self.results, result_writer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_worker_main,
            args=(task_reader, result_writer, self.slot, run, default_limit),
            name="hamilflow-worker",
            daemon=True,
        )
        self.process.start()
        task_reader.close()
        result_writer.close()
        self.future: concurrent.futures.Future | None = None

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        else:
            try:
                self.tasks.send_bytes(b"")
            except OSError:  # it is gone already
                pass
        self.tasks.close()
        self.process.join(timeout=None if kill else 5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.results.close()


def _describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "ended"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        cause = {
            "SIGKILL": " (the kernel's out-of-memory killer sends it too)",
            "SIGSEGV": " (a crash in native code)",
        }.get(name, "")
        return f"was killed by {name}{cause}"
    return f"exited with code {exitcode}"


class ProcessPool(concurrent.futures.Executor):
    """Runs ``run(payload) -> answer`` (bytes to bytes) in up to ``max_workers`` processes.

    ``default_limit`` is the time limit of nodes without ``@tag(timeout=...)``. A unit's
    future fails with :class:`~hamilflow.execution.portable_errors.WorkerDiedError` when
    its worker dies, and with :class:`~hamilflow.execution.timeouts.NodeTimeoutError`
    when a node overruns its limit (the worker is killed); either names the node and
    carries the item's ``batch_position``.
    """

    def __init__(
        self, max_workers: int, start_method: str, run: Callable[[bytes], bytes], default_limit: float | None = None
    ) -> None:
        self._max_workers = max_workers
        self._context = multiprocessing.get_context(start_method)
        self._run = run
        self._default_limit = default_limit
        self._workers: list[_Worker] = []
        self._pending: deque[tuple[concurrent.futures.Future, bytes]] = deque()
        self._lock = threading.RLock()
        self._closed = False
        self._wake_read, self._wake_write = os.pipe()
        self._monitor: threading.Thread | None = None

    # ------------------------------------------------------------------ submitting
    def submit(self, payload: bytes, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:  # type: ignore[override]
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise HamilflowError("cannot submit work to a process pool that was shut down")
            self._pending.append((future, payload))
            self._dispatch()
        return future

    def _dispatch(self, may_start: bool = True) -> None:
        """Give pending units to idle workers, starting workers while there are fewer than allowed. Under the lock.

        ``may_start``: a worker may be started from this thread. The monitor thread forks only when it
        must (no worker left): a fork copies the state of the caller's thread alone, and the caller
        submitting work is the thread whose state the workers are meant to copy.
        """
        while self._pending:
            worker = next((w for w in self._workers if w.future is None), None)
            if worker is None:
                if len(self._workers) >= self._max_workers or not (may_start or not self._workers):
                    return
                with _ctrl_c_held():  # raised once the worker is listed, so the pool stops it with the rest
                    worker = _Worker(self._context, self._run, self._default_limit)
                    self._workers.append(worker)
                self._wake()
            future, payload = self._pending.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            worker.future = future
            try:
                worker.tasks.send_bytes(payload)
            except OSError:  # the worker is gone already; the monitor reports it with its exit code
                pass
            self._ensure_monitor()

    def _ensure_monitor(self) -> None:
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch, name="hamilflow-process-monitor", daemon=True)
            self._monitor.start()

    def _wake(self) -> None:
        try:
            os.write(self._wake_write, b"x")
        except OSError:  # closed at shutdown
            pass

    # ------------------------------------------------------------------ the monitor
    def _watch(self) -> None:
        while True:
            with self._lock:
                if self._closed and not self._workers:
                    return
                workers = list(self._workers)
                busy = any(w.future is not None for w in workers)
            waitables: list[Any] = [self._wake_read]
            for worker in workers:
                waitables += [worker.results, worker.process.sentinel]
            try:
                ready = multiprocessing.connection.wait(waitables, timeout=_POLL if busy else None)
            except OSError:  # a pipe closed under us at shutdown: look again
                ready = []
            if self._wake_read in ready:
                try:
                    os.read(self._wake_read, 4096)
                except OSError:
                    pass
            with self._lock:
                for worker in workers:
                    if worker not in self._workers:
                        continue
                    if worker.results in ready and self._answered(worker):
                        continue
                    if worker.results in ready or worker.process.sentinel in ready:
                        self._died(worker)
                self._check_limits()
                self._dispatch(may_start=self._context.get_start_method() != "fork")

    def _answered(self, worker: _Worker) -> bool:
        """Hand the worker's answer to its future; False if there was none to read (the worker is gone)."""
        try:
            answer = worker.results.recv_bytes()
        except (EOFError, OSError):
            return False
        future, worker.future = worker.future, None
        if future is not None and not future.done():
            future.set_result(answer)
        return True

    def _died(self, worker: _Worker) -> None:
        """The worker's process ended: fail its unit, naming the node and item it was running."""
        if worker.results.poll():  # it answered before it ended
            self._answered(worker)
        self._workers.remove(worker)
        future, worker.future = worker.future, None
        worker.process.join(timeout=5)
        how = _describe_exit(worker.process.exitcode)
        worker.stop(kill=True)
        if future is None or future.done():
            return
        position, started, _, label = worker.slot.read()
        name, _, where = label.partition(_SEPARATOR)
        if started and name:
            doing = f"while it ran node '{name}' ({where})"
        else:
            doing = "between nodes (receiving its work or sending back the result)"
        future.set_exception(
            WorkerDiedError(
                f"the worker process {worker.process.pid} {how} {doing}. Nothing came back from it. A node that "
                "calls os._exit, crashes native code, or uses more memory than the machine has ends its process; "
                "make the node raise an exception instead, or find the crash by running it on threads "
                "(MultiThreadingExecutor) or with a debugger.",
                max(position, 0),
            )
        )

    def _check_limits(self) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.future is None:
                continue
            position, started, limit, label = worker.slot.read()
            if not (started and limit and now - started > limit):
                continue
            future, worker.future = worker.future, None
            self._workers.remove(worker)
            worker.stop(kill=True)
            name, _, where = label.partition(_SEPARATOR)
            future.set_exception(
                NodeTimeoutError(name, where, limit, f"(its worker process {worker.process.pid} was killed)", position)
            )

    # ------------------------------------------------------------------ stopping
    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers: after their current unit (``wait``), or at once (``kill_now``)."""
        with self._lock:
            self._closed = True
            if cancel_futures:
                while self._pending:
                    self._pending.popleft()[0].cancel()
        if wait:
            while True:
                with self._lock:
                    busy = [w for w in self._workers if w.future is not None]
                if not busy:
                    break
                concurrent.futures.wait([w.future for w in busy if w.future is not None], timeout=_POLL)
        with self._lock:
            workers, self._workers = list(self._workers), []
        for worker in workers:
            worker.stop(kill=not wait)
        self._wake()
        if self._monitor is not None and self._monitor is not threading.current_thread():
            self._monitor.join(timeout=5)
        for fd in (self._wake_read, self._wake_write):
            try:
                os.close(fd)
            except OSError:
                pass

    def kill(self) -> None:
        """Kill every worker now, without waiting for their units (Ctrl-C); their futures are cancelled."""
        with self._lock:
            running = [w.future for w in self._workers if w.future is not None]
        for future in running:
            if not future.done():
                future.set_exception(HamilflowError("the run was interrupted; its worker processes were killed"))
        self.shutdown(wait=False, cancel_futures=True)
