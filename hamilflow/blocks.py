"""Which ``Parallelizable`` block each node runs in.

A block is opened by an expander (a node returning ``Parallelizable[T]``) and closed by
the collectors that take its values as ``Collect[T]``. Every node gets a *block path*:
the tuple of expanders whose blocks it sits in, outermost first. ``()`` is the top
level; a node inside a block nested in another has a path of length two, and so on.

The path of a node follows from its parameters, in one pass over a topological order:

* an ordinary parameter puts the node at least as deep as the value it reads (an
  expander's items sit one level below the expander itself);
* a ``Collect`` parameter puts it one level above the values it collects;
* the node takes the deepest of these paths, and all of them must lie along it:
  reading values from two sibling blocks at once has no item-by-item meaning.

``level`` counts the collectors on the longest path into a node; nodes with the same
block path and level can always run together as one task (see the plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hamilflow.node import Node

Path = tuple[str, ...]


@dataclass
class BlockStructure:
    """Block paths and levels of every node; ``expanders`` lists the nodes that open blocks."""

    path: dict[str, Path] = field(default_factory=dict)
    level: dict[str, int] = field(default_factory=dict)
    expanders: list[str] = field(default_factory=list)

    @classmethod
    def empty(cls) -> BlockStructure:
        return cls()

    def path_of(self, name: str) -> Path:
        return self.path.get(name, ())

    def value_path(self, name: str, nodes: dict[str, Node]) -> Path:
        """Where the node's *value* lives: an expander's items sit inside its own block."""
        path = self.path.get(name, ())
        return path + (name,) if nodes[name].is_expander else path


def _describe(path: Path) -> str:
    return "the top level" if not path else "block " + " > ".join(f"'{p}'" for p in path)


def analyse_blocks(nodes: dict[str, Node], order: list[str], problems: list[str]) -> BlockStructure:
    """Assign a block path and level to each node; append structural problems to ``problems``."""
    result = BlockStructure()
    path, level = result.path, result.level
    if not any(n.is_expander or n.collect_params for n in nodes.values()):
        result.path = dict.fromkeys(order, ())  # no blocks: everything runs at the top level
        result.level = dict.fromkeys(order, 0)
        return result
    for name in order:
        node = nodes[name]
        if node.is_expander:
            result.expanders.append(name)
        candidates: list[tuple[Path, str]] = []
        deepest_level = 0
        for param in node.input_types:
            source = nodes[param]
            value_path = path[param] + (param,) if source.is_expander else path[param]
            deepest_level = max(deepest_level, level[param])
            if param in node.collect_params:
                if not value_path:
                    problems.append(
                        f"'{name}' ({node.where}) collects '{param}' with Collect[...], but '{param}' "
                        "is not inside a Parallelizable block, so there is nothing to collect. Make an "
                        "upstream function return Parallelizable[...], or drop Collect[] from the annotation."
                    )
                    continue
                candidates.append((value_path[:-1], param))
            else:
                candidates.append((value_path, param))
        deepest: Path = max((c[0] for c in candidates), key=len, default=())
        for candidate, param in candidates:
            if deepest[: len(candidate)] != candidate:
                other = next(p for c, p in candidates if c == deepest)
                problems.append(
                    f"'{name}' ({node.where}) reads '{param}' from {_describe(candidate)} and "
                    f"'{other}' from {_describe(deepest)}; these blocks are not nested, so their items "
                    f"cannot be paired. Collect one of them (Collect[...]) before combining."
                )
        for param in node.collect_params:
            value_path = path.get(param, ()) + ((param,) if nodes[param].is_expander else ())
            if value_path and deepest[: len(value_path)] == value_path:
                problems.append(
                    f"'{name}' ({node.where}) collects '{param}' from {_describe(value_path)} but also "
                    f"runs inside that block (through its other parameters); a collector must sit "
                    "outside the block it collects. Pass the block's values to it only via Collect[...]."
                )
        path[name] = deepest
        level[name] = deepest_level + (1 if node.is_collector else 0)
    return result
