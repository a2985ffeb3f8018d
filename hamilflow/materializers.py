"""Hamilton's materializers (``to.*`` savers, ``from_.*`` loaders) as nodes of a hamilflow graph.

Hamilton makes a materializer's nodes itself (``generate_nodes``), from a view of the graph;
hamilflow converts them like any decorated function's nodes. The Driver uses this for
``materialize()`` and ``Builder.with_materializers``; a compiled DAG uses it in each task,
for the materializers its project settings name, so a saver is a task like any other.

    >>> from hamilton.io.materialization import to
    >>> savers, loaders = split([to.pickle(id="saved", dependencies=["b"], path="b.pkl")], ["pipeline"])
    >>> [s.id for s in savers], loaders
    (['saved'], [])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from hamilflow.errors import GraphError, SettingError
from hamilflow.graph import FunctionGraph

if TYPE_CHECKING:
    from hamilflow.lifecycle import Lifecycle
    from hamilflow.node import Node


# The argument of a loader or saver (``from_.csv(path=...)``, ``@save_to.json(file=...)``) that says where it reads or
# writes: what the compiler reports as a saver's Asset and the Airflow runtime as lineage.
TARGET_ARGUMENTS = ("path", "file", "filepath", "file_path", "uri", "url")
LOADER_TAG = "hamilton.data_loader"  # Hamilton's tag on the node a loader or from_.* materializer makes
SAVER_TAG = "hamilton.data_saver"  # ... and on the node a saver or to.* materializer makes
# Hamilton keeps a loader's or saver's fixed arguments (``resolved_kwargs``), and which inputs give the others
# (``dependencies``), in keyword defaults of the node's function, under names its decorator's class mangles.
_BINDING_CLASS = {LOADER_TAG: "_LoadFromDecorator", SAVER_TAG: "_SaveToDecorator"}


def bound_arguments(node: Node, kind: str) -> dict[str, Any]:
    """What Hamilton bound to a loader (``kind`` :data:`LOADER_TAG`) or saver (:data:`SAVER_TAG`) node's function:
    ``resolved_kwargs`` (its fixed arguments) and ``dependencies`` (input name -> argument), when it has them;
    empty for a node of another kind."""
    if node.tags.get(kind) is not True:
        return {}
    import inspect

    try:
        parameters = inspect.signature(node.callable).parameters.values()
    except (TypeError, ValueError):
        return {}
    prefix = f"{_BINDING_CLASS[kind]}__"
    return {p.name[len(prefix) :]: p.default for p in parameters if p.name.startswith(prefix)}


def pipeline_graph(
    modules: list[Any],
    config: dict[str, Any],
    materializer_paths: Iterable[str] = (),
    lifecycle: Lifecycle | None = None,
) -> FunctionGraph:
    """The graph a compiled DAG runs: its modules' functions, plus the nodes of the materializers its settings
    name by import path (resolved where this runs: the compiler, then each Airflow task). With ``lifecycle``,
    its adapters' edge checks (``EdgeConnectionHook``) are asked about every edge, as in the Driver; its
    construction hooks and validators are the caller's to call (``Lifecycle.after_build``)."""
    from hamilflow.lifecycle import edge_check
    from hamilflow.runtime.imports import materializers_from

    edge_hook = edge_check(lifecycle)
    graph = FunctionGraph.from_modules(*modules, config=config, edge_hook=edge_hook)
    found = [m for path in materializer_paths for m in materializers_from(path)]
    if not found:
        return graph
    return graph_with(graph, *split(found, (m.__name__ for m in modules)), edge_hook=edge_hook)


def saver_ids(materializer_paths: Iterable[str]) -> list[str]:
    """The ids of the ``to.*`` savers among the materializers named by import path: the outputs they add."""
    from hamilton.io import materialization

    from hamilflow.runtime.imports import materializers_from

    return [
        m.id
        for path in materializer_paths
        for m in materializers_from(path)
        if isinstance(m, materialization.MaterializerFactory)
    ]


def split(materializers: Iterable[Any], module_names: Iterable[str]) -> tuple[list[Any], list[Any]]:
    """``to.*`` materializers (their dependencies named by string) and ``from_.*`` extractors, apart."""
    from hamilton.io import materialization

    module_names = set(module_names)
    savers, loaders = [], []
    for item in materializers:
        if isinstance(item, materialization.MaterializerFactory):
            savers.append(item.sanitize_dependencies(module_names))
        elif isinstance(item, materialization.ExtractorFactory):
            loaders.append(item)
        else:
            raise SettingError(
                f"materializers are made by to.* and from_.* (hamilton.io.materialization); got {item!r}."
            )
    return savers, loaders


def graph_with(
    graph: FunctionGraph,
    savers: list[Any],
    loaders: list[Any],
    type_check: Callable[[Any, Any], bool] | None = None,
    edge_hook: Callable[[Any, Any], bool] | None = None,
) -> FunctionGraph:
    """``graph`` with the nodes Hamilton makes for ``savers`` (added) and ``loaders`` (replacing what they load)."""
    from hamilflow.frontend import node_from_hamilton
    from hamilflow.lifecycle import HamiltonGraphView

    problems: list[str] = []
    nodes: dict[str, Node] = {name: node for name, node in graph.nodes.items() if not node.is_external_input}
    view = HamiltonGraphView(graph)
    nodes.update((n.name, node_from_hamilton(n, problems)) for f in savers for n in f.generate_nodes(view))
    if loaders:
        view = HamiltonGraphView(FunctionGraph.from_nodes(nodes.values(), graph.config, type_check, edge_hook))
        nodes.update((n.name, node_from_hamilton(n, problems)) for f in loaders for n in f.generate_nodes(view))
    if problems:
        raise GraphError(problems)
    return FunctionGraph.from_nodes(nodes.values(), graph.config, type_check, edge_hook)
