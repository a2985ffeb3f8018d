"""The node: one value in a pipeline, and how it is computed.

A function ``def b(a: int) -> int`` becomes a node named ``b`` of type ``int`` whose
dependencies are ``{"a": (int, DependencyType.REQUIRED)}``. A parameter no function
produces becomes an *external input* node, filled from ``inputs`` or the config.
Hamilton's decorators (re-exported by :mod:`hamilflow.function_modifiers`) change how
functions become nodes, through :mod:`hamilflow.frontend`; the rest of hamilflow only ever
sees nodes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable


class DependencyType(enum.Enum):
    """Whether a parameter must be supplied or has a default."""

    REQUIRED = "required"
    OPTIONAL = "optional"


class NodeKind(enum.Enum):
    """What role a node plays in the graph."""

    INPUT = "input"  # supplied by the caller or the config
    FUNCTION = "function"  # an ordinary function
    EXPANDER = "expander"  # returns Parallelizable[T]: opens a block
    COLLECTOR = "collector"  # takes one or more Collect[T]: closes blocks


@dataclass(eq=False, slots=True)
class Node:
    """One named value of the graph.

    ``input_types`` maps each parameter name to ``(annotation, DependencyType)``;
    ``collect_params`` names the parameters annotated ``Collect[T]``. ``type`` is the value's
    annotation (for an expander, the type of one item, ``T``).

        >>> Node("a", int, kind=NodeKind.INPUT).is_external_input
        True
    """

    name: str
    type: Any
    callable: Callable[..., Any] | None = None
    input_types: dict[str, tuple[Any, DependencyType]] = field(default_factory=dict)
    kind: NodeKind = NodeKind.FUNCTION
    tags: dict[str, Any] = field(default_factory=dict)
    documentation: str = ""
    module: str = ""
    function_name: str = ""
    line: int | None = None
    collect_params: frozenset[str] = frozenset()
    # the user's functions this node came from (several for some decorators), the user's own last
    originating_functions: tuple[Callable[..., Any], ...] | None = None
    # filled by the graph: names of the nodes that use this one
    dependents: list[str] = field(default_factory=list)
    # derived from input_types once, since every run of the node reads them
    required: tuple[str, ...] = field(init=False, default=())
    optional: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        self.required = tuple(p for p, (_, dep) in self.input_types.items() if dep is not DependencyType.OPTIONAL)
        self.optional = tuple(p for p, (_, dep) in self.input_types.items() if dep is DependencyType.OPTIONAL)

    @property
    def is_external_input(self) -> bool:
        return self.kind is NodeKind.INPUT

    @property
    def is_expander(self) -> bool:
        return self.kind is NodeKind.EXPANDER

    @property
    def is_collector(self) -> bool:
        return self.kind is NodeKind.COLLECTOR

    @property
    def required_params(self) -> list[str]:
        return [p for p, (_, dep) in self.input_types.items() if dep is DependencyType.REQUIRED]

    @property
    def where(self) -> str:
        """``module.function (line N)``, for error messages."""
        if self.kind is NodeKind.INPUT:
            return "an external input"
        location = f"{self.module}.{self.function_name or self.name}" if self.module else self.name
        return f"{location} (line {self.line})" if self.line else location

    def __repr__(self) -> str:
        return f"<Node {self.name} {self.kind.value} at {self.where}>"
