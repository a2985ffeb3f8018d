"""The function graph: nodes built from modules and config, validated before anything runs.

The front end (:mod:`hamilflow.frontend`) turns each public function of a module into
nodes, through Apache Hamilton's decorator resolution where a function is decorated; a
node's parameters are edges to the nodes of the same name. A parameter no function
produces is an external input. The graph is checked as a whole and every problem is
reported at once: cycles, duplicate definitions, type mismatches along edges, and badly
formed ``Parallelizable``/``Collect`` blocks.

All walks are iterative, so a chain of 100,000 nodes builds and runs.

    >>> import types
    >>> m = types.ModuleType("m")
    >>> exec("def b(a: int) -> int:\\n    return a + 1", m.__dict__)
    >>> g = FunctionGraph.from_modules(m)
    >>> sorted(g.nodes), g.nodes["a"].is_external_input
    (['a', 'b'], True)
"""

from __future__ import annotations

import dataclasses
import difflib
import types
from collections import deque
from typing import Any, Callable, Iterable, Mapping

from hamilflow import htypes
from hamilflow.blocks import BlockStructure, analyse_blocks
from hamilflow.errors import GraphError, HamilflowWarning
from hamilflow.frontend import Deselected, functions_of, nodes_of_module
from hamilflow.node import DependencyType, Node, NodeKind

TypeCheck = Callable[[Any, Any], bool]


class FunctionGraph:
    """A validated graph of nodes. Build it with :meth:`from_modules`.

    ``nodes`` maps names to :class:`~hamilflow.node.Node`; ``order`` lists every node name
    in a topological order (inputs first); ``blocks`` says which ``Parallelizable`` block
    each node runs in; ``deselected`` lists, by node name, the ``@config.when`` variants the
    config left out of names no function defines (so that errors about them can say which
    config would select one).
    """

    def __init__(
        self,
        nodes: dict[str, Node],
        config: Mapping[str, Any],
        order: list[str],
        blocks: BlockStructure,
        deselected: Mapping[str, list[Deselected]] | None = None,
    ) -> None:
        self.nodes = nodes
        self.config = dict(config)
        self.order = order
        self.blocks = blocks
        self.deselected = dict(deselected or {})
        self._position = {name: i for i, name in enumerate(order)}
        self._needed: dict[tuple, frozenset[str]] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def from_modules(
        cls,
        *modules: types.ModuleType,
        config: Mapping[str, Any] | None = None,
        type_check: TypeCheck | None = None,
        allow_module_overrides: bool = False,
        edge_hook: TypeCheck | None = None,
    ) -> FunctionGraph:
        """Build and validate the graph of ``modules`` under ``config``.

        Raises :class:`~hamilflow.errors.GraphError` listing every problem found.
        ``type_check(produced, required)`` decides whether an edge's types fit
        (default: :func:`hamilflow.htypes.fits`). With ``allow_module_overrides``, a node
        defined again in a later module replaces the earlier one instead of being a problem.
        ``edge_hook(type_from, type_to)`` is a lifecycle adapter's edge check: asked about every edge
        with Hamilton's arguments (the consumer's annotation, the producer's declared type, so
        ``Parallelizable[T]`` for an expander), it can accept an edge the rules refuse.
        """
        config = dict(config or {})
        type_check = type_check or htypes.fits
        problems: list[str] = []
        nodes: dict[str, Node] = {}
        deselected: dict[str, list[Deselected]] = {}
        for module in dict.fromkeys(modules):  # a module passed twice is crawled once
            found = nodes_of_module(module, config, problems, deselected)
            if not found and not functions_of(module):
                HamilflowWarning.emit(
                    f"module '{module.__name__}' defines no functions, so it adds nothing to the graph. Functions "
                    "imported into it from other modules are not its nodes (as in Hamilton): pass the modules "
                    "that define them."
                )
            for node in found:
                name = node.name
                if name in config:  # as in Hamilton, a config value replaces the node of the same name
                    HamilflowWarning.emit(
                        f"config key '{name}' replaces the node '{name}' ({node.where}): the function is not run "
                        f"and its value is the config's, as in Hamilton. If that is meant, pass the value in "
                        f"overrides={{'{name}': ...}} instead; otherwise rename the config key."
                    )
                    continue
                if name in nodes and allow_module_overrides and nodes[name].module != node.module:
                    del nodes[name]  # as in Hamilton: the later module's function replaces the node
                if name in nodes:
                    both_variants = all(_config_decorated(n) for n in (nodes[name], node))
                    fix = (
                        "Both are @config.when variants that this config selects: make their conditions exclusive."
                        if both_variants
                        else "Rename one, or use @config.when so that only one applies."
                    )
                    problems.append(
                        f"node '{name}' is defined twice: in {nodes[name].where} and in {node.where}. {fix}"
                    )
                    continue
                nodes[name] = node
        return cls._validated(nodes, config, type_check, problems, deselected, edge_hook)

    @classmethod
    def from_nodes(
        cls,
        nodes: Iterable[Node],
        config: Mapping[str, Any] | None = None,
        type_check: TypeCheck | None = None,
        edge_hook: TypeCheck | None = None,
    ) -> FunctionGraph:
        """Build and validate a graph of ready-made nodes (their ``dependents`` are filled here).

        Used where nodes come from elsewhere than a module: Hamilton's materializers, say.
        """
        by_name = {node.name: dataclasses.replace(node, dependents=[]) for node in nodes if not node.is_external_input}
        return cls._validated(by_name, dict(config or {}), type_check or htypes.fits, [], {}, edge_hook)

    @classmethod
    def _validated(
        cls,
        nodes: dict[str, Node],
        config: dict[str, Any],
        type_check: TypeCheck,
        problems: list[str],
        deselected: dict[str, list[Deselected]],
        edge_hook: TypeCheck | None = None,
    ) -> FunctionGraph:
        """Add the input nodes, then check the whole graph; raise listing every problem."""
        _add_inputs(nodes)
        for key in config:  # as in Hamilton, every config value can be read (and requested) as a node
            if key not in nodes:
                nodes[key] = Node(key, Any, kind=NodeKind.INPUT)
        _check_edge_types(nodes, type_check, problems, edge_hook)
        order = _topological_order(nodes, problems)
        blocks = analyse_blocks(nodes, order, problems) if order is not None else BlockStructure.empty()
        if problems:
            raise GraphError(problems)
        return cls(nodes, config, order, blocks, {k: v for k, v in deselected.items() if k not in config})

    # ------------------------------------------------------------------ queries
    @property
    def has_blocks(self) -> bool:
        return bool(self.blocks.expanders)

    def upstream(self, names: Iterable[str], stop_at: Iterable[str] = ()) -> set[str]:
        """``names`` and every node they depend on; nodes in ``stop_at`` are included but not crossed."""
        stop = set(stop_at)
        nodes = self.nodes
        seen: set[str] = set()
        stack = [n for n in names if n in nodes]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if name not in stop:
                stack.extend(nodes[name].input_types)  # every parameter names a node of the graph
        return seen

    def needed_for(self, final_vars: Iterable[str], overrides: Iterable[str] = ()) -> frozenset[str]:
        """The nodes a request touches: the outputs and their upstream, not crossing overrides.

        Remembered per request, since checking and planning a request both need it.
        """
        key = (tuple(final_vars), frozenset(overrides))
        found = self._needed.get(key)
        if found is None:
            if len(self._needed) > 64:
                self._needed.clear()
            found = self._needed[key] = frozenset(self.upstream([v for v in key[0] if v in self.nodes], key[1]))
        return found

    def downstream(self, names: Iterable[str]) -> set[str]:
        """``names`` and every node that depends on them."""
        seen = set()
        stack = [n for n in names if n in self.nodes]
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(self.nodes[name].dependents)
        return seen

    def sorted(self, names: Iterable[str]) -> list[str]:
        """``names`` in topological order."""
        return sorted(names, key=self._position.__getitem__)

    def leaves(self) -> list[str]:
        """The default outputs: top-level function nodes that nothing else uses, in order.

        Nodes Hamilton marks as internal to a decorator (``hamilton.non_final_node``, such as
        a subdag's unused intermediate values) are left out.
        """
        return [
            n
            for n in self.order
            if not self.nodes[n].is_external_input
            and not self.nodes[n].dependents
            and not self.blocks.path_of(n)
            and not self.nodes[n].tags.get("hamilton.non_final_node")
        ]

    def external_inputs(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.is_external_input]

    # ------------------------------------------------------------------ requests
    def request_checks(
        self, final_vars: Iterable[str], provided: Iterable[str], overrides: Iterable[str]
    ) -> tuple[list[str], list[tuple[str, str, Any]]]:
        """The part of request checking that depends only on names, so callers can cache it.

        Returns the problems found (unknown outputs, missing inputs, inputs that name
        computed nodes) and the ``(input, user, annotation)`` triples whose values must
        still be checked against their annotations.
        """
        provided, overrides = set(provided), set(overrides)
        problems: list[str] = []
        checks: list[tuple[str, str, Any]] = []
        final_vars = list(final_vars)
        requested = set(final_vars)
        block_path = self.blocks.path
        for name in final_vars:
            if name in self.nodes and not block_path.get(name):
                continue
            if name not in self.nodes:
                problems.append(self.unknown_output(name))
            elif self.blocks.path_of(name):
                problems.append(
                    f"output '{name}' ({self.nodes[name].where}) is computed once per item of the "
                    f"Parallelizable block '{self.blocks.path_of(name)[-1]}': request a node that "
                    f"collects it (a parameter typed Collect[...] named '{name}') instead."
                )
        needed = self.needed_for(final_vars, overrides)
        nodes = self.nodes
        for name in needed:
            node = nodes[name]
            if node.kind is not NodeKind.INPUT or name in overrides:
                continue
            users = [d for d in node.dependents if d in needed and d not in overrides]
            if name in provided or name in self.config:
                annotations = {}  # one check per distinct annotation, naming its first user
                for user in users:
                    annotations.setdefault(self.nodes[user].input_types[name][0], user)
                checks.extend((name, user, annotation) for annotation, user in annotations.items())
                continue
            required_by = [
                f"'{u}' ({self.nodes[u].where})"
                for u in users
                if self.nodes[u].input_types[name][1] is DependencyType.REQUIRED
            ]
            if name in requested:  # an input asked for as an output must be given, default or not
                required_by.insert(0, "the requested outputs")
            if required_by and name in self.deselected:
                problems.append(
                    f"missing input '{name}' ({htypes.type_name(node.type)}), required by "
                    + ", ".join(required_by)
                    + f": {self.config_hint(name)} Or pass it as inputs={{'{name}': ...}}."
                )
            elif required_by:
                problems.append(
                    f"missing input '{name}' ({htypes.type_name(node.type)}), required by "
                    + ", ".join(required_by)
                    + f". Pass it as inputs={{'{name}': ...}} or put it in the config."
                )
        for name in provided:
            node = self.nodes.get(name)
            if node is not None and not node.is_external_input and name not in overrides:
                problems.append(
                    f"'{name}' is computed by {node.where}, so it cannot be an input: pass it in "
                    f"overrides={{'{name}': ...}} to replace the computed value."
                )
        return problems, checks

    def unknown_output(self, name: str) -> str:
        """The problem with requesting ``name``, which is no node: a likely name, or the config that defines it."""
        if name in self.deselected:
            return f"unknown output '{name}': {self.config_hint(name)}"
        close = difflib.get_close_matches(name, list(self.nodes), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else " list_available_variables() lists the nodes of this graph."
        return f"unknown output '{name}': no function or input of that name.{hint}"

    def config_hint(self, name: str) -> str:
        """Why no function defines ``name`` under this config, and which config would select one."""
        variants = self.deselected[name]
        keys = list(dict.fromkeys(k for v in variants for k in (v.example or {})))
        now = ", ".join(f"{k}={self.config[k]!r}" for k in keys if k in self.config)
        unset = [k for k in keys if k not in self.config]
        state = "; ".join(
            part
            for part in (f"the config has {now}" if now else "", f"{', '.join(unset)} not set" if unset else "")
            if part
        )
        example = next((v.example for v in variants if v.example), None)
        fix = f"Set the config so that one applies, e.g. with_config({example!r})." if example else ""
        fix = fix or "Change the config so that one of these conditions holds."
        return (
            f"'{name}' is defined only by @config.when functions, and this config selects none of them"
            + (f" ({state})" if state else "")
            + ": "
            + "; ".join(f"{v.where} needs {v.condition}" for v in variants)
            + f". {fix}"
        )

    def check_request(
        self,
        final_vars: Iterable[str],
        inputs: Mapping[str, Any],
        overrides: Mapping[str, Any],
        value_check: TypeCheck | None = None,
        cached: tuple[list[str], list[tuple[str, str, Any]]] | None = None,
        checked_by: str | None = None,
    ) -> list[str]:
        """Everything wrong with a request, as sentences; empty when it can run.

        Checks unknown outputs (with a suggestion), required inputs nobody supplied
        (naming the nodes that need each), and input values that do not fit their
        annotations. ``cached`` is a result of :meth:`request_checks` for the same names.
        ``checked_by`` names the lifecycle adapter whose ``validate_input`` is ``value_check``, for the messages.
        """
        value_check = value_check or htypes.value_matches
        static, checks = cached or self.request_checks(final_vars, inputs, overrides)
        problems = list(static)
        for name, user, annotation in checks:
            value = inputs[name] if name in inputs else self.config[name]
            if value is None and not value_check(annotation, value):
                HamilflowWarning.emit(  # Hamilton lets None through for any annotation: so does hamilflow
                    f"input '{name}' is None, but '{user}' ({self.nodes[user].where}) expects "
                    f"{htypes.type_name(annotation)}. It is passed as it is, as Hamilton does; if None is meant, "
                    f"annotate the parameter Optional[{htypes.type_name(annotation)}]."
                )
            elif not value_check(annotation, value):
                given = "" if name in inputs else " (the value comes from the config)"
                if checked_by is not None:
                    problems.append(
                        f"input '{name}' is {type(value).__name__} {_short(value)}{given}, which the lifecycle adapter "
                        f"{checked_by} refuses (its validate_input answered False) for '{user}' "
                        f"({self.nodes[user].where}), which expects {htypes.type_name(annotation)}. Pass a value the "
                        "adapter accepts, or change the adapter."
                    )
                    continue
                problems.append(
                    f"input '{name}' is {type(value).__name__} {_short(value)}, but '{user}' "
                    f"({self.nodes[user].where}) expects {htypes.type_name(annotation)}{given}. Pass a value of that "
                    "type, or change the annotation."
                )
        return problems


def _expected(annotation: Any, collected: bool) -> str:
    """An annotation as the user wrote it, for messages (``Collect[int]``, not its module path)."""
    if collected:
        return f"Collect[{htypes.type_name(htypes.element_type(annotation))}]"
    return htypes.type_name(annotation)


def _config_decorated(node: Node) -> bool:
    """Whether ``node`` comes from a function Hamilton's ``@config`` selected (it records ``__config_decorated__``)."""
    return any(hasattr(fn, "__config_decorated__") for fn in node.originating_functions or ())


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _add_inputs(nodes: dict[str, Node]) -> None:
    """Create external input nodes and fill every node's ``dependents``, in one pass."""
    for node in list(nodes.values()):
        for param, (annotation, _) in node.input_types.items():
            source = nodes.get(param)
            if source is None:
                item_type = htypes.element_type(annotation) if param in node.collect_params else annotation
                source = nodes[param] = Node(
                    param, item_type, kind=NodeKind.INPUT, originating_functions=node.originating_functions
                )
            source.dependents.append(node.name)


def _check_edge_types(
    nodes: dict[str, Node], type_check: TypeCheck, problems: list[str], edge_hook: TypeCheck | None
) -> None:
    for node in nodes.values():
        for param, (annotation, _) in node.input_types.items():
            source = nodes[param]
            if source.is_external_input:
                continue
            required = htypes.element_type(annotation) if param in node.collect_params else annotation
            fits = type_check(source.type, required)
            if edge_hook is not None:  # asked about every edge, as Hamilton asks it; it can only accept more
                declared = htypes.Parallelizable[source.type] if source.is_expander else source.type
                fits = edge_hook(annotation, declared) or fits
            if not fits:
                produced = htypes.type_name(source.type)
                if source.is_expander:
                    produced = f"items of type {produced} (Parallelizable[{produced}])"
                problems.append(
                    f"type mismatch on '{param}': '{node.name}' ({node.where}) expects "
                    f"{_expected(annotation, param in node.collect_params)}, but '{param}' ({source.where}) "
                    f"produces {produced}. "
                    "Change one of the two annotations, or convert the value in between."
                )
        if node.is_external_input and len(node.dependents) > 1:
            _narrow_input_type(nodes, node, type_check, problems, edge_hook)


def _narrow_input_type(
    nodes: dict[str, Node], node: Node, type_check: TypeCheck, problems: list[str], edge_hook: TypeCheck | None
) -> None:
    """Give an input read by several functions the narrowest of their annotations (as Hamilton does).

    Two annotations neither of which fits the other can never be satisfied by one value: a problem.
    """
    chosen = node.dependents[0]
    for user in node.dependents[1:]:
        consumer = nodes[user]
        annotation = consumer.input_types[node.name][0]
        if node.name in consumer.collect_params:
            annotation = htypes.element_type(annotation)
        if type_check(annotation, node.type):
            node.type, chosen = annotation, user
        elif not type_check(node.type, annotation) and not (edge_hook and edge_hook(annotation, node.type)):
            problems.append(
                f"input '{node.name}' is expected as {htypes.type_name(node.type)} by '{chosen}' "
                f"({nodes[chosen].where}) and as {htypes.type_name(annotation)} by '{user}' ({consumer.where}); "
                "no value can be both. Give the parameters compatible annotations."
            )


def _topological_order(nodes: dict[str, Node], problems: list[str]) -> list[str] | None:
    """Kahn's algorithm in definition order; on a cycle, report it and return None."""
    pending = {name: len(node.input_types) for name, node in nodes.items()}
    ready = deque(name for name, count in pending.items() if count == 0)
    order = []
    while ready:
        name = ready.popleft()
        order.append(name)
        for dependent in nodes[name].dependents:
            pending[dependent] -= 1
            if pending[dependent] == 0:
                ready.append(dependent)
    if len(order) == len(nodes):
        return order
    stuck = {name for name, count in pending.items() if count > 0}
    for cycle in _cycles(nodes, stuck):
        path = " -> ".join(cycle + [cycle[0]])
        problems.append(
            f"cycle: {path} (" + ", ".join(nodes[n].where for n in cycle) + "). "
            "A node cannot depend on itself, even indirectly: break the loop by renaming a parameter."
        )
    return None


def _cycles(nodes: dict[str, Node], stuck: set[str]) -> list[list[str]]:
    """One cycle per group of stuck nodes, found by walking dependencies until a repeat."""
    cycles = []
    explained: set[str] = set()
    for start in (name for name in nodes if name in stuck):  # in definition order, so messages are stable
        if start in explained:
            continue
        walk, position = [], {}
        name = start
        while name not in position and name not in explained:
            position[name] = len(walk)
            walk.append(name)
            name = next(p for p in nodes[name].input_types if p in stuck)
        if name in position:
            cycles.append(walk[position[name] :])
        explained.update(walk)
    return cycles
