"""Hamilton's lifecycle adapters, called at the points Hamilton calls them.

A Hamilton user observes and shapes runs with adapters from ``hamilton.lifecycle``:
``NodeExecutionHook`` (before and after each node), ``NodeExecutionMethod`` (how a node is
called), ``GraphExecutionHook`` (before and after a run), ``ResultBuilder``,
``EdgeConnectionHook`` (type checks), ``StaticValidator`` and ``GraphConstructionHook``, and
Hamilton's own ``PrintLn``, ``GracefulErrorAdapter`` and ``FunctionInputOutputTypeChecker``.
hamilflow does not re-implement that interface: it holds the adapters in Hamilton's own
``LifecycleAdapterSet`` and calls it with what Hamilton would pass — Hamilton node objects, a
view of the graph with Hamilton's ``nodes`` and ``get_upstream_nodes`` — so an adapter written
for Hamilton runs unchanged, in the Driver and in every executor.

    >>> from hamilton.lifecycle import default
    >>> lifecycle = Lifecycle([default.PrintLn()])
    >>> lifecycle.wraps_nodes
    True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from hamilton import node as hamilton_node_module
from hamilton.execution import executors as hamilton_executors
from hamilton.execution.grouping import NodeGroupPurpose
from hamilton.lifecycle import base as hamilton_lifecycle

from hamilflow import htypes
from hamilflow.errors import GraphError
from hamilflow.node import DependencyType, NodeKind

if TYPE_CHECKING:
    from hamilflow.execution.plan import TaskSpec
    from hamilflow.graph import FunctionGraph
    from hamilflow.node import Node

_ROLES = {
    NodeKind.INPUT: hamilton_node_module.NodeType.EXTERNAL,
    NodeKind.FUNCTION: hamilton_node_module.NodeType.STANDARD,
    NodeKind.EXPANDER: hamilton_node_module.NodeType.EXPAND,
    NodeKind.COLLECTOR: hamilton_node_module.NodeType.COLLECT,
}
_DEPENDENCY = {
    DependencyType.REQUIRED: hamilton_node_module.DependencyType.REQUIRED,
    DependencyType.OPTIONAL: hamilton_node_module.DependencyType.OPTIONAL,
}


class AdapterValidationError(GraphError, hamilton_lifecycle.ValidationException):
    """A ``StaticValidator`` adapter refused the graph; ``problems`` lists what each one said.

    It is also Hamilton's ``ValidationException``, so a ported ``except`` clause still catches it.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems, header="A validator adapter refused the pipeline")


def is_lifecycle_adapter(candidate: Any) -> bool:
    """True for an instance of one of Hamilton's lifecycle adapter classes."""
    return isinstance(candidate, hamilton_lifecycle.LifecycleAdapter)


def as_hamilton_node(node: Node) -> hamilton_node_module.Node:
    """The Hamilton node an adapter expects for ``node``: same name, type, inputs, tags and functions."""
    declared = node.type
    if node.is_expander:
        declared = htypes.Parallelizable[node.type] if node.type is not Any else htypes.Parallelizable
    if node.is_external_input:
        return hamilton_node_module.Node(
            node.name, declared, node.documentation, node_source=_ROLES[node.kind], tags=dict(node.tags)
        )
    callable_ = node.callable
    if node.is_expander:  # as Hamilton's dynamic execution does, an expander's callable returns its items' list
        callable_ = functools.partial(hamilton_executors.new_callable, _callable=node.callable)
    return hamilton_node_module.Node(
        node.name,
        declared,
        node.documentation,
        callabl=callable_,
        node_source=_ROLES[node.kind],
        input_types={p: (t, _DEPENDENCY[d]) for p, (t, d) in node.input_types.items()},
        tags=dict(node.tags),
        originating_functions=node.originating_functions,
    )


class HamiltonGraphView:
    """The graph as Hamilton's adapters read it: ``nodes`` (Hamilton nodes) and ``get_upstream_nodes``."""

    def __init__(self, graph: FunctionGraph) -> None:
        self.graph = graph
        self._nodes: dict[str, hamilton_node_module.Node] | None = None

    @property
    def config(self) -> dict[str, Any]:
        return self.graph.config

    @property
    def nodes(self) -> dict[str, hamilton_node_module.Node]:
        if self._nodes is None:
            self._nodes = {name: as_hamilton_node(self.graph.nodes[name]) for name in self.graph.order}
        return self._nodes

    def get_upstream_nodes(
        self, final_vars: Iterable[str], runtime_inputs: Mapping[str, Any] | None = None, overrides: Any = None
    ) -> tuple[set[hamilton_node_module.Node], set[hamilton_node_module.Node]]:
        """``(nodes to compute or read, external inputs among them)``, as Hamilton's graph answers."""
        names = self.graph.upstream([v for v in final_vars if v in self.graph.nodes], stop_at=overrides or ())
        nodes = {self.nodes[name] for name in names}
        return nodes, {n for n in nodes if n.user_defined}


@dataclass(frozen=True)
class TaskCall:
    """One task instance as Hamilton's task hooks name it.

    ``task_id`` follows Hamilton's form: a top-level task is its name; an instance inside a
    block is ``<spawning task id>.<item>.<task name>``. ``purpose`` is Hamilton's
    ``NodeGroupPurpose`` of the task.
    """

    run_id: str
    task_id: str
    purpose: NodeGroupPurpose
    spawning_task_id: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "task_id": self.task_id,
            "spawning_task_id": self.spawning_task_id,
            "purpose": self.purpose,
        }


def edge_check(lifecycle: Lifecycle | None) -> Callable[[Any, Any], bool] | None:
    """What a graph builder asks about an edge Hamilton's type rules refuse: the adapters' ``check_edge`` when one
    of them checks edges (an ``EdgeConnectionHook``), else None (the rules alone decide).

        >>> edge_check(None) is None
        True
    """
    return lifecycle.check_edge if lifecycle is not None and lifecycle.checks_edges else None


def hamilton_task_id(task: str, path: tuple[str, ...], index: tuple[int, ...], producer: Mapping[str, str]) -> str:
    """The id Hamilton's task hooks would see for the instance of ``task`` (at block ``path``) at ``index``:
    the task's name at the top level, else ``<id of the instance that opened the block>.<item>.<task>``.

    >>> hamilton_task_id("squared", ("item",), (2,), {"item": "item"})
    'item.2.squared'
    """
    if not path:
        return task
    opener = producer[path[-1]]
    return f"{hamilton_task_id(opener, path[:-1], index[:-1], producer)}.{index[-1]}.{task}"


def task_purpose(spec: TaskSpec) -> NodeGroupPurpose:
    """Hamilton's name for what a plan task does: expand a block, gather one, run a block's nodes or one node."""
    from hamilflow.execution.plan import ReadKind

    if spec.expanders:
        return NodeGroupPurpose.EXPAND_UNORDERED
    if any(read.kind is ReadKind.COLLECT for read in spec.reads):
        return NodeGroupPurpose.GATHER
    if spec.path or len(spec.nodes) > 1:
        return NodeGroupPurpose.EXECUTE_BLOCK
    return NodeGroupPurpose.EXECUTE_SINGLE


class Lifecycle:
    """A Driver's Hamilton lifecycle adapters, with one call per point of a run.

    Built once per Driver; shipped to worker processes with the tasks (so the adapters must
    be picklable by cloudpickle, as they must be for Hamilton's process executors).
    """

    def __init__(self, adapters: Iterable[Any]) -> None:
        self.adapters = list(adapters)
        self.set = hamilton_lifecycle.LifecycleAdapterSet(*self.adapters)
        does = self.set.does_hook
        self.before_node = does("pre_node_execute", is_async=False)
        self.after_node = does("post_node_execute", is_async=False)
        self.executes_nodes = self.set.does_method("do_node_execute", is_async=False)
        self.wraps_nodes = self.before_node or self.after_node or self.executes_nodes
        self.before_task = does("pre_task_execute", is_async=False)
        self.after_task = does("post_task_execute", is_async=False)
        self.before_submission = does("pre_task_submission", is_async=False)
        self.after_return = does("post_task_return", is_async=False)
        self.after_grouping = does("post_task_group", is_async=False)
        self.after_expansion = does("post_task_expand", is_async=False)
        self.wraps_tasks = self.before_task or self.after_task
        # post_task_execute sees every value a task computed: nothing is released inside the task then
        self.keeps_task_values = self.after_task
        self.checks_edges = self.set.does_method("do_check_edge_types_match", is_async=False)
        self.validates_inputs = self.set.does_method("do_validate_input", is_async=False)
        self.sees_tasks = self.wraps_tasks or self.before_submission or self.after_return or self.after_expansion
        self.sees_construction = (
            does("post_graph_construct", is_async=False)
            or self.set.does_validation("validate_node")
            or self.set.does_validation("validate_graph")
            or self.checks_edges
        )
        self._hamilton_nodes: dict[str, hamilton_node_module.Node] = {}
        self._view: HamiltonGraphView | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"adapters": self.adapters}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["adapters"])

    # ------------------------------------------------------------------ building
    def check_edge(self, type_from: Any, type_to: Any) -> bool:
        """An adapter's verdict on an edge (``do_check_edge_types_match``), with Hamilton's arguments: ``type_from``
        is the consuming parameter's annotation, ``type_to`` the producing node's declared type."""
        if not self.checks_edges:
            return False
        return bool(
            self.set.call_lifecycle_method_sync("do_check_edge_types_match", type_from=type_from, type_to=type_to)
        )

    def validate_input(self, annotation: Any, value: Any) -> bool | None:
        """An adapter's verdict on an input value (``do_validate_input``), or None when none has one."""
        if not self.set.does_method("do_validate_input", is_async=False):
            return None
        return bool(self.set.call_lifecycle_method_sync("do_validate_input", node_type=annotation, input_value=value))

    def accepts_input(self, annotation: Any, value: Any) -> bool:
        """Whether an input value passes, as Hamilton's Driver decides when an adapter validates inputs: None always
        does, else the adapter's ``do_validate_input`` alone (it replaces the standard type check)."""
        return value is None or bool(self.validate_input(annotation, value))

    @property
    def input_validator(self) -> str:
        """The class name of the adapter that validates inputs (one at most, as Hamilton allows), for messages."""
        found = self.set.sync_methods.get("do_validate_input", [])
        return type(found[0]).__name__ if found else "none"

    def after_build(self, graph: FunctionGraph, modules: list[Any], config: Mapping[str, Any]) -> list[str]:
        """Call static validators and graph-construction hooks; return the validators' problems."""
        problems = []
        view = self.view(graph)
        if self.set.does_hook("post_graph_construct", is_async=False):
            self.set.call_all_lifecycle_hooks_sync("post_graph_construct", graph=view, modules=modules, config=config)
        if self.set.does_validation("validate_node"):
            for name in graph.order:
                results = self.set.call_all_validators_sync("validate_node", created_node=self.node(graph.nodes[name]))
                problems += [f"node '{name}' ({graph.nodes[name].where}): {r.error}" for r in results if not r.success]
        if problems:  # as in Hamilton, the graph's validators are not asked once a node is refused
            return problems
        if self.set.does_validation("validate_graph"):
            results = self.set.call_all_validators_sync("validate_graph", graph=view, modules=modules, config=config)
            problems += [str(r.error) for r in results if not r.success]
        return problems

    # ------------------------------------------------------------------ running
    def node(self, node: Node) -> hamilton_node_module.Node:
        found = self._hamilton_nodes.get(node.name)
        if found is None:
            found = self._hamilton_nodes[node.name] = as_hamilton_node(node)
        return found

    def run_node(self, node: Node, kwargs: dict[str, Any], run_id: str, task_id: str | None) -> Any:
        """Run one node the way Hamilton does: hooks before, the node (or an adapter's method), hooks after."""
        hamilton_node = self.node(node)
        if self.before_node:
            self.set.call_all_lifecycle_hooks_sync(
                "pre_node_execute", run_id=run_id, node_=hamilton_node, kwargs=kwargs, task_id=task_id
            )
        result, error = None, None
        try:
            if self.executes_nodes:
                result = self.set.call_lifecycle_method_sync(
                    "do_node_execute", run_id=run_id, node_=hamilton_node, kwargs=kwargs, task_id=task_id
                )
            else:
                result = hamilton_node.callable(**kwargs)
            return result
        except Exception as failure:
            error = failure
            raise
        finally:
            if self.after_node:
                self.set.call_all_lifecycle_hooks_sync(
                    "post_node_execute",
                    run_id=run_id,
                    node_=hamilton_node,
                    kwargs=kwargs,
                    success=error is None,
                    error=error,
                    result=result,
                    task_id=task_id,
                )

    # ------------------------------------------------------------------ tasks (dynamic execution)
    def run_task(self, task: TaskCall, nodes: list[Node], body: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run ``body`` (a task's nodes) between the task-execution hooks, in the process that runs it.

        ``post_task_execute`` receives what ``body`` returns (as in Hamilton: the task's inputs and the
        value of every node it ran), or the error and ``success=False``.
        """
        hamilton_nodes = [self.node(n) for n in nodes] if self.wraps_tasks else []
        if self.before_task:
            self.set.call_all_lifecycle_hooks_sync(
                "pre_task_execute", nodes=hamilton_nodes, inputs=task.inputs, overrides={}, **task.identity
            )
        results, error = None, None
        try:
            results = body()
            return results
        except Exception as failure:
            error = failure
            raise
        finally:
            if self.after_task:
                self.set.call_all_lifecycle_hooks_sync(
                    "post_task_execute",
                    nodes=hamilton_nodes,
                    results=results,
                    success=error is None,
                    error=error,
                    **task.identity,
                )

    def task_submitted(self, task: TaskCall, nodes: list[Node]) -> None:
        """``pre_task_submission``: the run hands a task to its executor (in the process that runs the plan)."""
        if self.before_submission:
            self.set.call_all_lifecycle_hooks_sync(
                "pre_task_submission",
                nodes=[self.node(n) for n in nodes],
                inputs=task.inputs,
                overrides={},
                **task.identity,
            )

    def task_returned(self, task: TaskCall, nodes: list[Node], result: Any, error: BaseException | None) -> None:
        """``post_task_return``: a task's result (or failure) is back in the process that runs the plan."""
        if self.after_return:
            self.set.call_all_lifecycle_hooks_sync(
                "post_task_return",
                nodes=[self.node(n) for n in nodes],
                result=result,
                success=error is None,
                error=error,
                **task.identity,
            )

    def tasks_grouped(self, run_id: str, task_ids: list[str]) -> None:
        """``post_task_group``: the plan's tasks, once per run, before any runs."""
        if self.after_grouping:
            self.set.call_all_lifecycle_hooks_sync("post_task_group", run_id=run_id, task_ids=task_ids)

    def task_expanded(self, run_id: str, task_id: str, items: list[Any]) -> None:
        """``post_task_expand``: an expander's task finished; ``parameters`` maps ``"0"``, ``"1"``... to items."""
        if self.after_expansion:
            self.set.call_all_lifecycle_hooks_sync(
                "post_task_expand",
                run_id=run_id,
                task_id=task_id,
                parameters={str(i): item for i, item in enumerate(items)},
            )

    def view(self, graph: FunctionGraph) -> HamiltonGraphView:
        """The Hamilton view of ``graph``, made once: every run's graph hooks see the same nodes."""
        if self._view is None or self._view.graph is not graph:
            self._view = HamiltonGraphView(graph)
        return self._view

    def before_run(
        self, graph: FunctionGraph, run_id: str, final_vars: list[str], inputs: Mapping[str, Any] | None, overrides: Any
    ) -> None:
        if self.set.does_hook("pre_graph_execute", is_async=False):
            self.set.call_all_lifecycle_hooks_sync(
                "pre_graph_execute",
                run_id=run_id,
                graph=self.view(graph),
                final_vars=final_vars,
                inputs=inputs,
                overrides=overrides,
            )

    def after_run(
        self, graph: FunctionGraph, run_id: str, success: bool, error: BaseException | None, results: Any
    ) -> None:
        if self.set.does_hook("post_graph_execute", is_async=False):
            self.set.call_all_lifecycle_hooks_sync(
                "post_graph_execute",
                run_id=run_id,
                graph=self.view(graph),
                success=success,
                error=error,
                results=results,
            )

    @property
    def builds_results(self) -> bool:
        return self.set.does_method("do_build_result", is_async=False)

    def build_result(self, outputs: dict[str, Any]) -> Any:
        return self.set.call_lifecycle_method_sync("do_build_result", outputs=outputs)
