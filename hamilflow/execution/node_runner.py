"""The one loop that runs nodes: used by the Driver, the task runner and the Airflow runtime.

A *step* is a node prepared for fast repeated calls: its function and the names of the
values it reads. :func:`run_steps` walks a list of steps in order, reading arguments
from and writing results to one ``values`` dict. Every back end calls this loop, so a
node behaves the same whether it runs in-process, in a worker or in an Airflow task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, MutableMapping

from hamilflow.base import uses_plain_calls
from hamilflow.errors import add_note
from hamilflow.node import NodeKind

EXPANDER = NodeKind.EXPANDER

if TYPE_CHECKING:
    from hamilflow.base import HamiltonGraphAdapter
    from hamilflow.node import Node


@dataclass(slots=True)
class Step:
    """A node ready to run: ``required`` must be in ``values``, ``optional`` are passed when present."""

    name: str
    node: Node
    fn: Callable[..., Any]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    expands: bool

    @classmethod
    def of(cls, node: Node) -> Step:
        return cls(node.name, node, node.callable, node.required, node.optional, node.kind is EXPANDER)


def run_steps(
    steps: Iterable[Step], values: MutableMapping[str, Any], adapter: HamiltonGraphAdapter | None = None
) -> MutableMapping[str, Any]:
    """Run ``steps`` in order against ``values`` (mutated and returned).

    An expander's items are gathered into a list. An exception from a user function
    propagates unchanged, with a note naming the node and where it is defined.

        >>> from hamilflow.node import Node
        >>> step = Step.of(Node("b", int, callable=lambda a: a + 1, input_types={"a": (int, None)}))
        >>> run_steps([step], {"a": 1})["b"]
        2
    """
    execute_node = None if adapter is None or uses_plain_calls(adapter) else adapter.execute_node
    step = None
    try:
        for step in steps:
            kwargs = {p: values[p] for p in step.required}
            for p in step.optional:
                if p in values:
                    kwargs[p] = values[p]
            value = step.fn(**kwargs) if execute_node is None else execute_node(step.node, kwargs)
            values[step.name] = list(value) if step.expands else value
    except Exception as error:
        if step is not None:
            add_note(error, f"hamilflow: raised in node '{step.name}' ({step.node.where})")
        raise
    return values
