"""The Builder: a Driver assembled step by step, as Hamilton's ``driver.Builder`` does it.

Each step records a setting and checks it at once; :meth:`Builder.build` makes the
:class:`~hamilflow.driver.Driver`. Without ``enable_dynamic_execution`` it is the standard
Driver (blocks still run, synchronously); with it, executors and grouping choose where and
how tasks run. It is re-exported as ``hamilflow.driver.Builder``, Hamilton's import path.

    >>> from hamilflow.driver import Builder
    >>> builder = Builder().with_config({"region": "eu"})
"""

from __future__ import annotations

import os
import types
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

from hamilflow import base
from hamilflow.arguments import adapter_instance, check_modules
from hamilflow.caching import CacheSettings
from hamilflow.errors import HamilflowWarning, SettingError
from hamilflow.execution import executors as executors_module
from hamilflow.execution.grouping import GroupingStrategy
from hamilflow.lifecycle import is_lifecycle_adapter

if TYPE_CHECKING:
    from hamilflow.driver import Driver


_MANAGER_AND_EXECUTORS = (
    "{step}: set either an execution manager or local/remote executors, not both. To choose the executor "
    "of each task, give the executors to the manager: executors.DefaultExecutionManager(local, remote)."
)


class Builder:
    """Assemble a :class:`Driver` step by step.

    >>> from hamilflow.execution import executors
    >>> dr = (
    ...     Builder()
    ...     .with_modules(m)
    ...     .enable_dynamic_execution(allow_experimental_mode=True)
    ...     .with_remote_executor(executors.MultiThreadingExecutor(max_tasks=4))
    ...     .build()
    ... )  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._modules: list[types.ModuleType] = []
        self._config: dict[str, Any] = {}
        self._adapter: base.HamiltonGraphAdapter | None = None
        self._result_builder: base.ResultMixin | None = None
        self._dynamic = False
        self._local: executors_module.TaskExecutor | None = None
        self._remote: executors_module.TaskExecutor | None = None
        self._manager: executors_module.ExecutionManager | None = None
        self._grouping: GroupingStrategy | None = None
        self._progress = False
        self._lifecycle: list[Any] = []
        self._allow_module_overrides = False
        self._materializers: list[Any] = []
        self._cache: CacheSettings | None = None

    def copy(self) -> Builder:
        """A new Builder with the same settings, to vary one of them.

        >>> base_builder = Builder().with_config({"region": "eu"})
        >>> us = base_builder.copy().with_config({"region": "us"})
        """
        twin = Builder()
        twin.__dict__.update(
            {
                k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                for k, v in self.__dict__.items()
            }
        )
        return twin

    def with_materializers(self, *materializers: Any) -> Builder:
        """Hamilton's ``to.*``/``from_.*``: savers become nodes to request by id, loaders replace their target.

        >>> from hamilton.io.materialization import to
        >>> builder = Builder().with_materializers(to.pickle(id="saved", dependencies=["b"], path="b.pkl"))
        """
        self._materializers.extend(materializers)
        return self

    def with_cache(
        self,
        path: str | os.PathLike[str] = ".hamilflow_cache",
        metadata_store: Any = None,
        result_store: Any = None,
        default: Literal[True] | Sequence[str] | None = None,
        recompute: Literal[True] | Sequence[str] | None = None,
        ignore: Literal[True] | Sequence[str] | None = None,
        disable: Literal[True] | Sequence[str] | None = None,
        default_behavior: str = "default",
        default_loader_behavior: str = "default",
        default_saver_behavior: str = "default",
        log_to_file: bool = False,
    ) -> Builder:
        """Cache node results by code and input versions, as Hamilton's ``with_cache`` does (see
        :mod:`hamilflow.caching`): a node whose code and inputs are unchanged is read, not run.

        ``path`` is a folder or any artifact-store URL (``s3://bucket/cache``): the cache is shared
        by the Driver, every executor and compiled DAGs that name the same place. ``recompute``,
        ``disable`` and ``default`` name nodes (or ``True`` for all); Hamilton's
        ``@cache(behavior=...)`` on a function comes first. Savers and loaders are never cached.

        >>> builder = Builder().with_cache(".hamilflow_cache", recompute=["raw_events"])
        """
        unsupported = {
            "metadata_store": metadata_store,
            "result_store": result_store,
            "ignore": ignore,
            "log_to_file": log_to_file or None,
        }
        unsupported.update(
            {
                name: value if value != "default" else None
                for name, value in (
                    ("default_loader_behavior", default_loader_behavior),
                    ("default_saver_behavior", default_saver_behavior),
                )
            }
        )
        given = [name for name, value in unsupported.items() if value is not None]
        if given:
            raise SettingError(
                f"with_cache({', '.join(f'{n}=...' for n in given)}): not supported by hamilflow's cache, which keeps "
                "results in the artifact store format under path (savers and loaders are never cached). Leave "
                f"{'it' if len(given) == 1 else 'them'} out."
            )
        self._cache = CacheSettings(
            os.fspath(path), recompute=recompute, disable=disable, default=default, default_behavior=default_behavior
        )
        return self

    def allow_module_overrides(self) -> Builder:
        """Let a later module's function replace an earlier module's node of the same name, as in Hamilton."""
        self._allow_module_overrides = True
        return self

    def with_modules(self, *modules: types.ModuleType) -> Builder:
        check_modules(modules, "with_modules(")
        self._modules.extend(modules)
        return self

    def with_config(self, config: Mapping[str, Any]) -> Builder:
        if not isinstance(config, Mapping):
            raise SettingError(
                f"with_config({config!r}): the config must be a dict of names to values, not "
                f"{type(config).__name__}: write with_config({{'key': value}})."
            )
        self._config.update(config)
        return self

    def with_adapter(self, adapter: base.HamiltonGraphAdapter) -> Builder:
        self._adapter = adapter_instance(adapter, "with_adapter")
        return self

    def with_adapters(self, *adapters: Any) -> Builder:
        """Hamilton lifecycle adapters (any number), a graph adapter and a result builder (one each).

        >>> from hamilton.lifecycle import default
        >>> builder = Builder().with_adapters(default.PrintLn())
        """
        for item in adapters:
            item = adapter_instance(item, "with_adapters")
            if is_lifecycle_adapter(item):
                self._lifecycle.append(item)
            elif isinstance(item, base.HamiltonGraphAdapter):
                if self._adapter is not None:
                    raise SettingError(
                        f"with_adapters: only one graph adapter can run the nodes; got two ({self._adapter!r} and "
                        f"{item!r}). Keep one; observe runs with Hamilton's lifecycle adapters instead."
                    )
                self._adapter = item
            elif isinstance(item, base.ResultMixin) or hasattr(item, "build_result"):
                self._result_builder = item
            else:
                raise SettingError(
                    f"with_adapters: {item!r} is neither a graph adapter nor a result builder: pass an adapter "
                    "object, e.g. base.DictResult() or base.SimplePythonGraphAdapter(...)."
                )
        return self

    def with_result_builder(self, result_builder: base.ResultMixin) -> Builder:
        result_builder = adapter_instance(result_builder, "with_result_builder")
        if not hasattr(result_builder, "build_result"):
            raise SettingError(
                f"with_result_builder: {result_builder!r} is not a result builder (it has no build_result): pass "
                "one, e.g. base.DictResult() or base.PandasDataFrameResult()."
            )
        self._result_builder = result_builder
        return self

    def enable_dynamic_execution(self, *, allow_experimental_mode: bool = False) -> Builder:
        """Run on the task runner, with executors and grouping (the flag is accepted for compatibility)."""
        self._dynamic = True
        return self

    def _require_dynamic(self, what: str) -> None:
        if not self._dynamic:
            raise SettingError(
                f"{what} needs enable_dynamic_execution() first: call "
                "enable_dynamic_execution(allow_experimental_mode=True) before it."
            )

    @staticmethod
    def _executor(executor: Any, step: str) -> executors_module.TaskExecutor:
        if isinstance(executor, type):
            raise SettingError(
                f"{step}: {executor.__name__} is a class, and an executor must be an object: pass an instance: "
                f"{executor.__name__}()."
            )
        if not hasattr(executor, "submit"):
            raise SettingError(
                f"{step}: {executor!r} is not a task executor: pass one, e.g. "
                "executors.MultiThreadingExecutor(max_tasks=4)."
            )
        return executor

    def with_local_executor(self, executor: executors_module.TaskExecutor) -> Builder:
        self._require_dynamic("with_local_executor")
        self._local = self._executor(executor, "with_local_executor")
        return self

    def with_remote_executor(self, executor: executors_module.TaskExecutor) -> Builder:
        self._require_dynamic("with_remote_executor")
        self._remote = self._executor(executor, "with_remote_executor")
        return self

    def with_execution_manager(self, manager: executors_module.ExecutionManager) -> Builder:
        self._require_dynamic("with_execution_manager")
        if isinstance(manager, type) or not hasattr(manager, "get_executor_for_task"):
            shown = manager.__name__ if isinstance(manager, type) else repr(manager)
            raise SettingError(
                f"with_execution_manager: {shown} is not an execution manager (an instance of one): pass e.g. "
                "executors.DefaultExecutionManager(local, remote); a single executor goes to "
                "with_remote_executor(...) or with_local_executor(...)."
            )
        if self._local or self._remote:
            raise SettingError(_MANAGER_AND_EXECUTORS.format(step="with_execution_manager"))
        self._manager = manager
        return self

    def with_grouping_strategy(self, strategy: GroupingStrategy) -> Builder:
        self._require_dynamic("with_grouping_strategy")
        if isinstance(strategy, type):
            raise SettingError(
                f"with_grouping_strategy: {strategy.__name__} is a class, and a strategy must be an object: pass "
                f"an instance: {strategy.__name__}()."
            )
        if not isinstance(strategy, GroupingStrategy):
            raise SettingError(
                f"with_grouping_strategy: {strategy!r} is not a grouping strategy: pass one, e.g. "
                "grouping.GroupNodesByLevel()."
            )
        self._grouping = strategy
        return self

    def with_progress_bar(self, enabled: bool = True) -> Builder:
        """Show a progress bar of task instances while running (needs dynamic execution)."""
        self._progress = enabled
        return self

    def build(self) -> Driver:
        from hamilflow.driver import Driver  # here: driver.py re-exports this module's Builder

        if self._progress and not self._dynamic:
            raise SettingError(
                "with_progress_bar() needs enable_dynamic_execution(): the bar counts the task runner's tasks, and "
                "without dynamic execution there are none to count. Add "
                ".enable_dynamic_execution(allow_experimental_mode=True) to the Builder, or drop with_progress_bar()."
            )
        adapter = self._adapter
        if adapter is None:  # as Hamilton's Builder does, return a dict unless told otherwise
            adapter = base.SimplePythonGraphAdapter(self._result_builder or base.DictResult())
        elif self._result_builder is not None:
            adapter.result_builder = self._result_builder
        manager = None
        if self._dynamic:
            if (self._local or self._remote) and self._manager:
                raise SettingError(_MANAGER_AND_EXECUTORS.format(step="build()"))
            manager = self._manager or executors_module.DefaultExecutionManager(self._local, self._remote)
        if not self._modules:
            HamilflowWarning.emit(
                "Builder().build() with no modules: the Driver has no functions to run. Add them with "
                "with_modules(my_pipeline) before build()."
            )
        return Driver(
            self._config,
            *self._modules,
            adapter=[adapter, *self._lifecycle],
            execution_manager=manager,
            grouping_strategy=self._grouping,
            progress=self._progress,
            allow_module_overrides=self._allow_module_overrides,
            materializers=self._materializers,
            cache=self._cache,
        )
