"""The one loop that runs nodes: used by the Driver, the task runner and the Airflow runtime.

:func:`run_nodes` walks nodes in order, reading each one's arguments from one ``values``
dict and writing its result back. Given a task's ``drops`` (see
:class:`~hamilflow.execution.plan.TaskSpec`), it lets go of each value as soon as its last
reader has run, so a chain of large values never holds more than it needs. Every back end
calls this loop, so a node behaves the same whether it runs in-process, in a worker or in
an Airflow task.

Time limits (:mod:`hamilflow.execution.timeouts`) hook in here too: an executor installs a
:class:`~hamilflow.execution.timeouts.NodeWatch` around its work with :func:`watching`, and
this loop tells it when each item and node starts and ends. Without one, a node's
``@tag(timeout=...)`` is enforced by an alarm when the node runs in the main thread.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any, Iterator, MutableMapping, Sequence

from hamilflow.base import uses_plain_calls
from hamilflow.errors import add_note
from hamilflow.execution.items import items_of
from hamilflow.execution.timeouts import MAIN_THREAD_ALARM, NodeExpired, NodeTimeoutError, NodeWatch, node_limit
from hamilflow.node import NodeKind

EXPANDER = NodeKind.EXPANDER

if TYPE_CHECKING:
    from hamilflow.base import HamiltonGraphAdapter
    from hamilflow.caching import TaskCache
    from hamilflow.lifecycle import Lifecycle
    from hamilflow.node import Node

_local = threading.local()  # .watch: the NodeWatch of the work this thread runs now


@contextlib.contextmanager
def watching(watch: NodeWatch) -> Iterator[NodeWatch]:
    """Let ``watch`` see the items and nodes that :func:`run_nodes` runs in this thread, until the block ends."""
    outer = getattr(_local, "watch", None)
    _local.watch = watch
    try:
        yield watch
    finally:
        _local.watch = outer


def current_watch() -> NodeWatch | None:
    """The watch installed in this thread by :func:`watching`, if any."""
    return getattr(_local, "watch", None)


def run_nodes(
    nodes: Sequence[Node],
    values: MutableMapping[str, Any],
    adapter: HamiltonGraphAdapter | None = None,
    drops: Sequence[Sequence[str]] | None = None,
    lifecycle: Lifecycle | None = None,
    run_id: str = "",
    task_id: str | None = None,
    cache: TaskCache | None = None,
) -> MutableMapping[str, Any]:
    """Run ``nodes`` in order against ``values`` (mutated and returned).

    A node's required parameters must be in ``values``; optional ones are passed when
    present. An expander's items are gathered into a list. ``drops[i]`` names the values
    to delete once ``nodes[i]`` has run. Hamilton lifecycle adapters that wrap nodes
    (``lifecycle``) are called around each node, with ``run_id`` and ``task_id``. An
    exception from a user function propagates unchanged, with a note naming the node and
    where it is defined. With a ``cache`` (:class:`~hamilflow.caching.TaskCache`), a node whose
    result is cached under its key is not run: its value is read; one that runs is saved.

        >>> from hamilflow.node import Node
        >>> b = Node("b", int, callable=lambda a: a + 1, input_types={"a": (int, None)})
        >>> run_nodes([b], {"a": 1}, drops=[["a"]])
        {'b': 2}
    """
    execute_node = None if adapter is None or uses_plain_calls(adapter) else adapter.execute_node
    if lifecycle is not None and lifecycle.wraps_nodes:

        def execute_node(node: Node, kwargs: dict[str, Any]) -> Any:
            return lifecycle.run_node(node, kwargs, run_id, task_id)

    watch = getattr(_local, "watch", None) or MAIN_THREAD_ALARM
    watch.item_started()
    default_limit, always = watch.default_limit, watch.always
    node = None
    try:
        for position, node in enumerate(nodes):
            if cache is not None:
                hit, value = cache.lookup(node.name)
                if hit:
                    values[node.name] = value
                    if drops is not None:
                        for name in drops[position]:
                            values.pop(name, None)
                    continue
            kwargs = {p: values[p] for p in node.required}
            for p in node.optional:
                if p in values:
                    kwargs[p] = values[p]
            limit = node_limit(node, default_limit) if node.tags or default_limit else None
            if limit is None and not always:
                value = node.callable(**kwargs) if execute_node is None else execute_node(node, kwargs)
            else:
                token = watch.node_started(node, limit)
                try:
                    value = node.callable(**kwargs) if execute_node is None else execute_node(node, kwargs)
                finally:
                    watch.node_finished(token)
            values[node.name] = items_of(node, value) if node.kind is EXPANDER else value
            if cache is not None:
                cache.save(node.name, values[node.name])
            if drops is not None:
                for name in drops[position]:
                    values.pop(name, None)
    except Exception as error:
        if node is not None:
            add_note(error, f"hamilflow: raised in node '{node.name}' ({node.where})")
        raise
    except NodeExpired as expired:  # the alarm interrupted the node
        raise NodeTimeoutError(node.name, node.where, expired.limit, "by an alarm in the main thread") from None
    return values
