"""Cache keys: a node's code version, its inputs' data versions, and its upstream values' keys, hashed.

Everything here is a pure function of the graph, the run's external values and the item
counts of its blocks, so the local runner (in the main process, before it sends a task to a
worker) and an Airflow task (from the manifests in the store) compute the same keys.

    >>> data_version(3) == data_version(3) != data_version(4)
    True
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Callable, Mapping

import cloudpickle

if TYPE_CHECKING:
    from hamilflow.graph import FunctionGraph
    from hamilflow.node import Node

Index = tuple[int, ...]
KEY_FORMAT = b"hamilflow-cache-1"


def _hash(*parts: Any) -> str:
    digest = hashlib.sha256(KEY_FORMAT)
    for part in parts:
        digest.update(b"\0" + (part if isinstance(part, bytes) else str(part).encode()))
    return digest.hexdigest()


_CONSTANT_TYPES = (int, float, complex, str, bytes, bool, type(None))


def _constants_read(fn: Any) -> list[str]:
    """``NAME=value`` for each module-level constant (a number, text, or a tuple/frozenset of them) the function's
    code reads: changing ``THRESHOLD = 0.5`` changes the version of every function that uses it."""
    code, module_globals = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if code is None or module_globals is None:
        return []
    names, stack = set(), [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(c for c in current.co_consts if hasattr(c, "co_names"))
    found = []
    for name in sorted(names):
        value = module_globals.get(name)
        if isinstance(value, _CONSTANT_TYPES) or (
            isinstance(value, (tuple, frozenset)) and all(isinstance(v, _CONSTANT_TYPES) for v in value)
        ):
            found.append(f"{name}={value!r}")
    return found


def code_version(node: Node) -> str:
    """A hash of the node's name, declared type, the user code behind it (comments left out) and the module
    constants that code reads."""
    from hamilflow.execution.plan import node_code_text

    constants = [c for fn in node.originating_functions or (node.callable,) for c in _constants_read(fn)]
    return _hash(node.name, repr(node.type), node_code_text(node), *constants)


def data_version(value: Any) -> str:
    """A hash of a value's pickle (cloudpickle, so functions and classes hash by content too)."""
    return _hash(cloudpickle.dumps(value, protocol=5))


class KeyBuilder:
    """The cache key of each ``(node, index)`` of one run, computed on demand and remembered.

    ``external`` holds the run's inputs, config and overrides; ``count_of(expander, prefix)``
    says how many items an expander produced at ``prefix`` (asked only for collections).
    """

    def __init__(
        self, graph: FunctionGraph, external: Mapping[str, Any], count_of: Callable[[str, Index], int]
    ) -> None:
        self.graph = graph
        self.external = external
        self.count_of = count_of
        self._keys: dict[tuple[str, Index], str] = {}
        self._code: dict[str, str] = {}
        self._data: dict[str, str] = {}

    def key(self, name: str, index: Index) -> str:
        """The key of node ``name``'s value at ``index`` (the first numbers of an index that its block uses)."""
        node = self.graph.nodes[name]
        index = index[: len(self.graph.blocks.path_of(name))]
        found = self._keys.get((name, index))
        if found is not None:
            return found
        if name in self.external:
            found = self._data_key(name)
        else:
            parts = [self._code_of(node)]
            for param in node.input_types:
                parts.append(f"{param}={self._input_key(node, param, index)}")
            found = _hash(*parts)
        self._keys[(name, index)] = found
        return found

    def _code_of(self, node: Node) -> str:
        if node.name not in self._code:
            self._code[node.name] = code_version(node)
        return self._code[node.name]

    def _data_key(self, name: str) -> str:
        if name not in self._data:
            self._data[name] = _hash("data", data_version(self.external[name]))
        return self._data[name]

    def _input_key(self, node: Node, param: str, index: Index) -> str:
        if param in self.external:
            return self._data_key(param)
        source = self.graph.nodes.get(param)
        if source is None or source.is_external_input:
            return "absent"  # an optional input nobody gave: the function's default is its code
        if param in node.collect_params:
            if source.is_expander:  # the expander's items, whole: fixed by its key
                return _hash("items", self.key(param, index))
            block = self.graph.blocks.path_of(param)[-1]
            prefix = index[: len(self.graph.blocks.path_of(param)) - 1]
            count = self.count_of(block, prefix)
            return _hash("collected", *(self.key(param, prefix + (i,)) for i in range(count)))
        if source.is_expander:  # one item of the block this node is in
            depth = len(self.graph.blocks.path_of(param))
            return _hash("item", self.key(param, index[:depth]), index[depth])
        return self.key(param, index)
