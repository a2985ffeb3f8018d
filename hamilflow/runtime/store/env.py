"""The store the environment configures: URL, secrets, namespace and durability, read at every call."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hamilflow.errors import SettingError
from hamilflow.runtime.store.artifact import _DEFAULT_URL, _ENV_NAMESPACE, _ENV_URL, ArtifactStore

_ENV_SECRET = "HAMILFLOW_STORE_SECRET"
_ENV_VERIFY = "HAMILFLOW_STORE_VERIFY_SECRETS"


def _settings_from_env() -> dict[str, Any]:
    """Secrets, namespace and durability as the environment gives them now."""
    secret = os.environ.get(_ENV_SECRET) or None
    verify = tuple(s.strip() for s in os.environ.get(_ENV_VERIFY, "").split(",") if s.strip())
    if verify and secret is None:
        raise SettingError(
            f"{_ENV_VERIFY} is set but {_ENV_SECRET} is empty: set {_ENV_SECRET} to the secret new artifacts "
            f"are signed with (the verify list only adds older keys that are still accepted)"
        )
    return {
        "secret": secret,
        "verify_secrets": verify,
        "namespace": os.environ.get(_ENV_NAMESPACE, ""),
        "durable": os.environ.get("HAMILFLOW_STORE_DURABLE", "1") not in ("0", "false", "no"),
    }


_FROM_ENV: dict[tuple, ArtifactStore] = {}


def default_store_url() -> str:
    """Where artifacts go unless told: ``$HAMILFLOW_STORE_URL``, else ``$AIRFLOW_HOME/hamilflow-artifacts``
    (an Airflow deployment's own folder), else ``./.hamilflow/artifacts``. The one home of this rule."""
    if os.environ.get(_ENV_URL):
        return os.environ[_ENV_URL]
    if os.environ.get("AIRFLOW_HOME"):
        return os.path.join(os.environ["AIRFLOW_HOME"], "hamilflow-artifacts")
    return os.path.abspath(_DEFAULT_URL)


def store_from_env(url: str | os.PathLike[str] | None = None) -> ArtifactStore:
    """The store at ``url`` (else :func:`default_store_url`), configured
    by the environment *now*: ``HAMILFLOW_STORE_SECRET``, ``HAMILFLOW_STORE_VERIFY_SECRETS``,
    ``HAMILFLOW_STORE_NAMESPACE``, ``HAMILFLOW_STORE_DURABLE``.

    Call it for every task rather than keeping a store: it returns one cached store per
    distinct configuration, so it is cheap, and a rotated secret or a changed URL or
    namespace takes effect at the next call.

    Example:
        >>> store_from_env("memory://doc-env") is store_from_env("memory://doc-env")
        True
    """
    url = os.fspath(url) if url is not None else default_store_url()
    local = url.removeprefix("file://")
    if "://" not in local:  # a relative folder means the current directory's
        url = str(Path(local).expanduser().absolute())
    settings = _settings_from_env()
    key = (url, *settings.values())
    store = _FROM_ENV.get(key)
    if store is None:
        if len(_FROM_ENV) > 64:  # only rotations and moves add entries; keep a long-lived worker bounded
            _FROM_ENV.clear()
        store = _FROM_ENV.setdefault(key, ArtifactStore(url, **settings))
    return store
