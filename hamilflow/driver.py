"""The Driver runs a pipeline in-process; the Builder assembles one piece by piece.

>>> import types
>>> from hamilflow import base, driver
>>> m = types.ModuleType("m")
>>> exec("def b(a: int) -> int:\\n    return a + 1", m.__dict__)
>>> dr = driver.Driver({}, m, adapter=base.DefaultAdapter())
>>> dr.execute(["b"], inputs={"a": 1})
{'b': 2}
"""

from __future__ import annotations

import copy
import difflib
import sys
import types
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import cloudpickle

from hamilflow import base, htypes, visualize
from hamilflow import materializers as materializers_module
from hamilflow.arguments import as_output_list, check_modules, driver_adapters, mapping
from hamilflow.caching import CacheSettings
from hamilflow.errors import ExecutionRequestError, HamilflowWarning, SettingError
from hamilflow.execution import executors as executors_module
from hamilflow.execution.grouping import GroupingStrategy, GroupNodesAllAsOne
from hamilflow.execution.node_runner import run_nodes
from hamilflow.execution.plan import Plan, build_plan
from hamilflow.execution.runner import run_plan
from hamilflow.graph import FunctionGraph
from hamilflow.lifecycle import AdapterValidationError, Lifecycle, edge_check, is_lifecycle_adapter


@dataclass
class Variable:
    """A node as the Driver lists it."""

    name: str
    type: Any
    tags: dict[str, Any] = field(default_factory=dict)
    is_external_input: bool = False
    originating_functions: tuple[Any, ...] | None = None
    documentation: str = ""


def _output_name(output: Any, module_names: set[str], position: int = 0) -> str:
    """Outputs may be named by string, by :class:`Variable`, or by a function of the Driver's modules."""
    if isinstance(output, str):
        return output
    if isinstance(output, Variable):
        return output.name
    if callable(output) and hasattr(output, "__name__"):
        if getattr(output, "__module__", None) not in module_names:
            raise ExecutionRequestError(
                [
                    f"cannot request function {output.__module__}.{output.__name__}: it is not defined in a module "
                    f"of this Driver ({', '.join(sorted(module_names))}). Request the node by name instead."
                ]
            )
        return output.__name__  # Hamilton renames a chosen @config.when variant after its node
    raise ExecutionRequestError(
        [
            f"final_vars[{position}]: cannot request {output!r} ({type(output).__name__}): name an output by string, "
            "by a function of the modules or by a Variable."
        ]
    )


def _tags_match(tags: Mapping[str, Any], tag_filter: Mapping[str, Any]) -> bool:
    for key, wanted in tag_filter.items():
        if key not in tags:
            return False
        if wanted is None:
            continue
        allowed = wanted if isinstance(wanted, (list, tuple, set)) else [wanted]
        value = tags[key]
        values = value if isinstance(value, (list, tuple)) else [value]
        if not any(v in allowed for v in values):
            return False
    return True


@dataclass
class _Request:
    """A request planned once: its plan and checks, and for in-process runs the nodes to call."""

    plan: Plan
    checks: tuple
    in_process: tuple[list[Any], list[tuple[str, ...]]] | None = None  # (nodes, drops) when nothing is mapped


def _declared_type(node: Any) -> Any:
    """The type as the function declares it (an expander's node keeps the type of one item)."""
    if node.is_expander:
        return htypes.Parallelizable if node.type is Any else htypes.Parallelizable[node.type]
    return node.type


class Driver:
    """Builds the graph of ``modules`` under ``config`` and runs it.

    ``adapter`` decides how nodes run and what ``execute`` returns (a pandas DataFrame by
    default). It may also be one of Hamilton's lifecycle adapters (``hamilton.lifecycle``),
    or a list mixing them, as Hamilton's Driver accepts: they are called at Hamilton's points
    (see :mod:`hamilflow.lifecycle`). Pipelines with ``Parallelizable``/``Collect`` run on the
    task runner: the synchronous one unless an execution manager is given (see :class:`Builder`).

        >>> dr = Driver({}, m)  # doctest: +SKIP
        >>> dr.execute(["b"], inputs={"a": 1})  # doctest: +SKIP
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        *modules: types.ModuleType,
        adapter: base.HamiltonGraphAdapter | Any | list[Any] | None = None,
        execution_manager: executors_module.ExecutionManager | None = None,
        grouping_strategy: GroupingStrategy | None = None,
        progress: bool = False,
        allow_module_overrides: bool = False,
        materializers: Iterable[Any] = (),
        cache: CacheSettings | None = None,
    ) -> None:
        if config is not None and not isinstance(config, Mapping):
            if isinstance(config, types.ModuleType):
                raise SettingError(
                    f"Driver({config.__name__}, ...): the first argument of Driver is the config (a dict), and "
                    f"got the module {config.__name__}. Write Driver({{}}, {config.__name__}, ...)."
                )
            raise SettingError(
                f"Driver({config!r}, ...): the config must be a dict of names to values, not "
                f"{type(config).__name__}. Write Driver({{}}, ...) for no config."
            )
        check_modules(modules, "Driver({}, ")
        adapter = driver_adapters(adapter)
        given = adapter if isinstance(adapter, (list, tuple)) else [] if adapter is None else [adapter]
        graph_adapters = [a for a in given if not is_lifecycle_adapter(a)]
        if len(graph_adapters) > 1:
            raise SettingError("a Driver takes one graph adapter (HamiltonGraphAdapter); got several.")
        self.adapter = graph_adapters[0] if graph_adapters else base.SimplePythonDataFrameGraphAdapter()
        lifecycle_adapters = [a for a in given if is_lifecycle_adapter(a)]
        self.lifecycle = Lifecycle(lifecycle_adapters) if lifecycle_adapters else None
        self.execution_manager = execution_manager
        self.grouping_strategy = grouping_strategy
        self.progress = progress
        self.modules = modules
        for module in modules:  # a module made in memory (a notebook's): worker processes cannot import it
            if getattr(module, "__file__", None) is None and sys.modules.get(module.__name__) is module:
                cloudpickle.register_pickle_by_value(module)
        check = self.adapter.check_node_type_equivalence
        lifecycle = self.lifecycle

        def type_check(produced: Any, required: Any) -> bool:
            # as in Hamilton, an adapter can only widen the standard rules (subclasses, Any, unions, ...): an
            # adapter ported from Hamilton that answers ``node_type == input_type`` keeps them
            return check(required, produced) or htypes.fits(produced, required)

        self._type_check = type_check
        self._edge_hook = edge_check(lifecycle)
        self.graph = FunctionGraph.from_modules(
            *modules,
            config=config,
            type_check=type_check,
            allow_module_overrides=allow_module_overrides,
            edge_hook=self._edge_hook,
        )
        if materializers:  # Builder.with_materializers: their nodes are part of the graph, to request by id
            self.graph = self._graph_with(*self._split_materializers(materializers))
        if self.lifecycle is not None:
            problems = self.lifecycle.after_build(self.graph, list(modules), self.graph.config)
            if problems:
                raise AdapterValidationError(problems)
        self._requests: dict[tuple, _Request] = {}
        self.cache_settings = cache

    @property
    def config(self) -> dict[str, Any]:
        return self.graph.config

    # ------------------------------------------------------------------ running
    def execute(
        self,
        final_vars: list[str],
        overrides: Mapping[str, Any] | None = None,
        display_graph: bool = False,
        inputs: Mapping[str, Any] | None = None,
    ) -> Any:
        """Compute ``final_vars`` and shape them with the result builder (an adapter's, if one builds results)."""
        return self._with_graph_hooks(final_vars, overrides, display_graph, inputs, build=True)

    def materialize(
        self,
        *materializers: Any,
        additional_vars: list[Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Save outputs with Hamilton's ``to.*`` materializers and load inputs with ``from_.*`` extractors.

        As in Hamilton: returns ``(metadata of each materializer by id, additional_vars' values)``.
        The materializers' nodes are Hamilton's own, added to a copy of this Driver's graph, so
        each saver runs like any node (in the executor its task goes to).

            >>> from hamilton.io.materialization import to
            >>> saved = to.csv(id="out_csv", dependencies=["frame"], path="out.csv")
            >>> metadata, _ = dr.materialize(saved)  # doctest: +SKIP
        """
        savers, loaders = self._split_materializers(materializers)
        extra = self._output_names(additional_vars or [])
        if not savers and not extra:
            raise SettingError(
                "materialize() has nothing to do: pass to.* materializers, or additional_vars to compute."
            )
        twin = copy.copy(self)
        twin.graph = self._graph_with(savers, loaders)
        twin._requests = {}
        saver_ids = [factory.id for factory in savers]
        results = twin._with_graph_hooks(extra + saver_ids, overrides, False, inputs, build=False)
        return {name: results[name] for name in saver_ids}, {name: results[name] for name in extra}

    def _split_materializers(self, materializers: Iterable[Any]) -> tuple[list[Any], list[Any]]:
        return materializers_module.split(materializers, (m.__name__ for m in self.modules))

    def _graph_with(self, savers: list[Any], loaders: list[Any]) -> FunctionGraph:
        return materializers_module.graph_with(self.graph, savers, loaders, self._type_check, self._edge_hook)

    def _with_graph_hooks(
        self,
        final_vars: list[str],
        overrides: Mapping[str, Any] | None,
        display_graph: bool,
        inputs: Mapping[str, Any] | None,
        build: bool,
    ) -> Any:
        """Run a request between the lifecycle adapters' graph hooks, as Hamilton does."""
        final_vars = self._output_names(final_vars)  # checked before any hook runs
        given_inputs, given_overrides = inputs, overrides  # the graph hooks see them as given, as in Hamilton
        inputs = mapping(inputs, "inputs", lambda: self._first_name(external=True))
        overrides = mapping(overrides, "overrides", lambda: self._first_name(external=False))
        self._warn_unknown_names(final_vars, inputs, overrides)
        lifecycle = self.lifecycle
        if lifecycle is None:
            outputs = self._raw_execute(final_vars, overrides, display_graph, inputs)
            return self.adapter.build_result(**outputs) if build else outputs
        run_id = str(uuid.uuid4())
        lifecycle.before_run(self.graph, run_id, final_vars, given_inputs, given_overrides)
        result, error = None, None
        try:
            result = self._raw_execute(final_vars, overrides, display_graph, inputs, run_id)
            if build:
                result = (
                    lifecycle.build_result(result) if lifecycle.builds_results else self.adapter.build_result(**result)
                )
            return result
        except Exception as failure:
            error = failure
            raise
        finally:
            lifecycle.after_run(self.graph, run_id, error is None, error, result if error is None else None)

    def raw_execute(
        self,
        final_vars: list[str],
        overrides: Mapping[str, Any] | None = None,
        display_graph: bool = False,
        inputs: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Compute ``final_vars`` and return them as a dict, without the result builder.

        ``overrides`` replace the nodes they name: what only they needed is not computed.
        """
        return self._with_graph_hooks(final_vars, overrides, display_graph, inputs, build=False)

    def _value_check(self, annotation: Any, value: Any) -> bool:
        """An input value's check: a lifecycle adapter's ``validate_input`` decides when there is one (None always
        passes), as in Hamilton; else the graph adapter's ``check_input_type``."""
        if self.lifecycle is not None and self.lifecycle.validates_inputs:
            return self.lifecycle.accepts_input(annotation, value)
        return self.adapter.check_input_type(annotation, value)

    def _first_name(self, external: bool) -> str:
        """The first input (or computed node) of the graph, as an example in messages."""
        nodes = self.graph.nodes
        return next((n for n in self.graph.order if nodes[n].is_external_input is external), "name")

    def _output_names(self, final_vars: Any) -> list[str]:
        if type(final_vars) is list and all(type(v) is str for v in final_vars):
            return list(dict.fromkeys(final_vars))  # the usual request, checked at no cost
        listed = as_output_list(final_vars, next(iter(self.graph.leaves()), "my_output"))
        module_names = {m.__name__ for m in self.modules}
        return list(
            dict.fromkeys(v if type(v) is str else _output_name(v, module_names, i) for i, v in enumerate(listed))
        )

    def _warn_unknown_names(
        self, final_vars: list[str], inputs: Mapping[str, Any], overrides: Mapping[str, Any]
    ) -> None:
        """Warn of inputs and overrides that name no node: ignored, as in Hamilton, but likely a typo."""
        nodes = self.graph.nodes
        for argument, given, what in (
            ("inputs", inputs, "which no function reads"),
            ("overrides", overrides, "which is no node"),
        ):
            for name in given:
                if name in nodes or (argument == "inputs" and name in final_vars):
                    continue
                close = difflib.get_close_matches(str(name), list(nodes), n=1)
                hint = f"did you mean '{close[0]}'?" if close else "list_available_variables() lists the nodes."
                HamilflowWarning.emit(
                    f"{argument} name {name!r}, {what}: it is ignored, as in Hamilton; {hint} "
                    f"Fix the name in {argument}=, or leave it out."
                )

    def _raw_execute(
        self,
        final_vars: list[str],
        overrides: Mapping[str, Any] | None = None,
        display_graph: bool = False,
        inputs: Mapping[str, Any] | None = None,
        run_id: str = "",
    ) -> dict[str, Any]:
        overrides = dict(overrides or {})
        inputs = dict(inputs or {})
        final_vars = self._output_names(final_vars)
        passthrough = [v for v in final_vars if v not in self.graph.nodes and v in inputs]
        if passthrough:  # as in Hamilton, an input no function uses can be requested, and is returned as given
            computed = self._raw_execute(
                [v for v in final_vars if v not in passthrough], overrides, False, inputs, run_id
            )
            return {v: computed[v] if v in computed else inputs[v] for v in final_vars}
        key = (tuple(final_vars), frozenset(inputs), frozenset(overrides))
        request = self._requests.get(key)
        if request is None:
            checks = self.graph.request_checks(final_vars, inputs, overrides)
            self.validate_execution(final_vars, inputs, overrides, _cached=checks)  # before planning
            request = self._requests[key] = self._prepare(final_vars, overrides, checks)
        else:
            self.validate_execution(final_vars, inputs, overrides, _cached=request.checks)
        if display_graph:
            self.visualize_execution(final_vars, "./execution.dot", inputs=inputs, overrides=overrides)
        values = {**self.graph.config, **inputs, **overrides}
        if request.in_process is None:
            return run_plan(
                self.graph,
                request.plan,
                values,
                self.execution_manager,
                self.adapter,
                self.progress,
                self.lifecycle,
                run_id,
                self.cache_settings,
            )
        nodes, drops = request.in_process
        run_nodes(nodes, values, self.adapter, drops, self.lifecycle, run_id)
        return {name: values[name] for name in final_vars}

    def _prepare(self, final_vars: list[str], overrides: Mapping[str, Any], checks: tuple) -> _Request:
        """Plan a request once; later calls with the same names reuse it."""
        needed = self.graph.needed_for(final_vars, overrides)
        block_path = self.graph.blocks.path
        dynamic = (
            self.execution_manager is not None
            or self.cache_settings is not None
            or (self.graph.has_blocks and any(block_path.get(n) or self.graph.nodes[n].is_expander for n in needed))
        )
        grouping = self.grouping_strategy if dynamic else GroupNodesAllAsOne()
        plan = build_plan(self.graph, final_vars, overrides, grouping, fingerprint=False)
        if dynamic:
            return _Request(plan, checks)
        # no blocks: one task, run right here; its drops let each value go after its last reader
        nodes = [self.graph.nodes[n] for task in plan.tasks for n in task.nodes]
        drops = [d for task in plan.tasks for d in task.drops]
        return _Request(plan, checks, in_process=(nodes, drops))

    def validate_execution(
        self,
        final_vars: list[str],
        inputs: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
        _cached: tuple | None = None,
    ) -> None:
        """Raise :class:`~hamilflow.errors.ExecutionRequestError` listing everything wrong with a request."""
        lifecycle = self.lifecycle
        problems = self.graph.check_request(
            final_vars,
            inputs or {},
            overrides or {},
            value_check=self._value_check,
            cached=_cached,
            checked_by=lifecycle.input_validator if lifecycle is not None and lifecycle.validates_inputs else None,
        )
        if problems:
            raise ExecutionRequestError(problems)

    # ------------------------------------------------------------------ queries
    def list_available_variables(
        self, *, tag_filter: Mapping[str, str | list[str] | None] | None = None
    ) -> list[Variable]:
        """Every node: functions and external inputs, with types, tags and docs.

        ``tag_filter`` keeps the nodes whose tags match every entry, as in Hamilton: a value
        must equal the tag, a list must contain it, ``None`` only asks for the tag.

            >>> dr.list_available_variables(tag_filter={"team": ["ml", "ops"]})  # doctest: +SKIP
        """
        variables = [
            Variable(
                name=node.name,
                type=_declared_type(node),
                tags=dict(node.tags),
                is_external_input=node.is_external_input,
                originating_functions=node.originating_functions,
                documentation=node.documentation,
            )
            for node in (self.graph.nodes[n] for n in self.graph.order)
        ]
        if tag_filter:
            variables = [v for v in variables if _tags_match(v.tags, tag_filter)]
        return variables

    def has_cycles(self, final_vars: list[Any]) -> bool:
        """Whether computing ``final_vars`` meets a cycle: never, since a graph with one is refused when built."""
        self._output_names(final_vars)  # the names are still checked, as Hamilton checks them
        return False

    def what_is_upstream_of(self, *node_names: str) -> list[Variable]:
        """The nodes the named nodes depend on (the named nodes included)."""
        return self._variables(self.graph.upstream(self._known(node_names, "what_is_upstream_of")))

    def what_is_downstream_of(self, *node_names: str) -> list[Variable]:
        """The nodes that depend on the named nodes (the named nodes included)."""
        return self._variables(self.graph.downstream(self._known(node_names, "what_is_downstream_of")))

    def _known(self, names: Iterable[str], method: str = "this query") -> list[str]:
        names = list(names)
        listed = next((n for n in names if isinstance(n, (list, tuple, set))), None)
        if listed is not None:
            raise SettingError(
                f"{method} takes node names as separate arguments, not a {type(listed).__name__}: write "
                f"{method}(*{list(listed)!r})."
            )
        unknown = [n for n in names if n not in self.graph.nodes]
        if unknown:
            hints = []
            for name in unknown:
                close = difflib.get_close_matches(str(name), list(self.graph.nodes), n=1)
                hints.append(f"{name!r}" + (f" (did you mean '{close[0]}'?)" if close else ""))
            raise SettingError(
                f"{method}: unknown node(s): {', '.join(hints)}. list_available_variables() lists the nodes of "
                "this graph."
            )
        return names

    def _variables(self, names: set[str]) -> list[Variable]:
        wanted = set(names)
        return [v for v in self.list_available_variables() if v.name in wanted]

    # ------------------------------------------------------------------ pictures
    def display_all_functions(self, output_file_path: str | None = None, render_kwargs: dict | None = None) -> str:
        """DOT text of the whole graph; written (or rendered, by suffix .svg/.png) to ``output_file_path``."""
        dot = visualize.to_dot(self.graph)
        if output_file_path:
            visualize.write(dot, output_file_path, **(render_kwargs or {}))
        return dot

    def display_upstream_of(
        self, *node_names: str, output_file_path: str | None = None, render_kwargs: dict | None = None, **_: Any
    ) -> str:
        """DOT text of the named nodes and everything they depend on (Hamilton's styling options are ignored)."""
        return self._display(self.graph.upstream(self._known(node_names)), node_names, output_file_path, render_kwargs)

    def display_downstream_of(
        self, *node_names: str, output_file_path: str | None = None, render_kwargs: dict | None = None, **_: Any
    ) -> str:
        """DOT text of the named nodes and everything that depends on them."""
        return self._display(
            self.graph.downstream(self._known(node_names)), node_names, output_file_path, render_kwargs
        )

    def _display(
        self, names: set[str], highlight: Iterable[str], output_file_path: str | None, render_kwargs: dict | None
    ) -> str:
        dot = visualize.to_dot(self.graph, only=names, highlight=set(highlight))
        if output_file_path:
            visualize.write(dot, output_file_path, **(render_kwargs or {}))
        return dot

    def visualize_execution(
        self,
        final_vars: list[str],
        output_file_path: str | None = None,
        render_kwargs: dict | None = None,
        inputs: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> str:
        """DOT text of what ``execute(final_vars)`` would run, with requested outputs highlighted."""
        final_vars = self._output_names(final_vars)
        unknown = [self.graph.unknown_output(v) for v in final_vars if v not in self.graph.nodes]
        if unknown:
            raise ExecutionRequestError(unknown)
        needed = self.graph.upstream(final_vars, stop_at=overrides or {})
        dot = visualize.to_dot(self.graph, only=needed, highlight=set(final_vars), overridden=set(overrides or {}))
        if output_file_path:
            visualize.write(dot, output_file_path, **(render_kwargs or {}))
        return dot


# The Builder has its own module; hamilton.driver.Builder's path is kept.
from hamilflow.builder import Builder  # noqa: E402

__all__ = ["Builder", "Driver", "Variable"]
