"""Run-scoped, atomic, verified artifact store for values handed between Airflow tasks.

XCom only carries a tiny string *ref*; the value itself lives in the store under
``<dag_id>/<run_id>/<node>/<map_index>.pkl``, so concurrent runs and backfills never
collide. Every write goes to a unique temp name and is renamed over the final name,
so readers see either the old artifact or the new one, never a torn file. Every read
checks a SHA-256 digest (and, with a secret, an HMAC) *before* unpickling.

File format (version 1), a fixed 72-byte header followed by the payload::

    b"HFSTOR" | version: u8 | flags: u8 (bit 0 = signed) | sha256(payload): 32 bytes
    | hmac_sha256(secret, payload) or 32 zero bytes | cloudpickle payload

Example:
    >>> store = ArtifactStore("memory://doc-example")
    >>> ref = store.put(store.ref("etl", "manual__2026-11-25T01:00:00+00:00", "clean"), [1, 2])
    >>> ref
    'etl/manual__2026-11-25T01%3A00%3A00%2B00%3A00/clean/_.pkl'
    >>> store.get(ref)
    [1, 2]
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import cloudpickle

__all__ = ["ArtifactIntegrityError", "ArtifactNotFoundError", "ArtifactStore", "StoreError"]

MAGIC = b"HFSTOR"
FORMAT_VERSION = 1
_FLAG_SIGNED = 0x01
_HEADER_LEN = len(MAGIC) + 2 + 32 + 32
_SAFE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_REF_PART = re.compile(r"[A-Za-z0-9._%-]+")
_CHUNK = 1 << 20
# Object stores where one PUT is atomic (readers see all or nothing) but "mv" is a
# non-atomic copy+delete: we write those directly to the final key.
_ATOMIC_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl"})


class StoreError(Exception):
    """Base class for artifact store errors."""


class ArtifactNotFoundError(StoreError, KeyError):
    """The ref does not exist in the store."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class ArtifactIntegrityError(StoreError):
    """The artifact is truncated, corrupted, unsigned or signed with another secret."""


def _quote(component: object, what: str) -> str:
    """Percent-encode everything outside ``[A-Za-z0-9._-]``; refuse empty components."""
    text = str(component)
    if not text:
        raise ValueError(f"{what} must not be empty")
    quoted = "".join(c if c in _SAFE_CHARS else "".join(f"%{b:02X}" for b in c.encode()) for c in text)
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _check_ref(ref: str) -> list[str]:
    """Validate a ref (it may come from XCom, i.e. from outside) and return its parts."""
    if not isinstance(ref, str):
        raise TypeError(f"artifact ref must be a str, got {type(ref).__name__}")
    parts = ref.split("/")
    if any(p in (".", "..") or not _REF_PART.fullmatch(p) for p in parts):
        raise ValueError(f"invalid artifact ref {ref!r}: expected relative components of [A-Za-z0-9._%-]")
    return parts


def _write_chunks(fh: Any, data: bytes) -> None:
    """Write ``data`` to ``fh`` in chunks (a seam the tests use to simulate a crash)."""
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        fh.write(view[start : start + _CHUNK])


class ArtifactStore:
    """Store for task outputs, addressed by small string refs that fit in XCom.

    ``url`` is a local folder or any fsspec URL (``memory://``, ``s3://``...); ``file://``
    URLs are handled as local folders (fsync + ``os.replace``, no fsspec needed).
    With ``secret`` every artifact is HMAC-signed and unsigned or foreign artifacts are
    refused on read.

    Example:
        >>> store = ArtifactStore("memory://doc-store", secret="s3cr3t")
        >>> ref = store.put(store.ref("dag", "run-1", "node", (0, 2)), {"a": 1})
        >>> ref, store.get(ref)
        ('dag/run-1/node/0.2.pkl', {'a': 1})
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        secret: bytes | str | None = None,
        durable: bool | None = None,
    ) -> None:
        url = os.fspath(url) if url is not None else "./.hamilflow/artifacts"
        if isinstance(secret, str):
            secret = secret.encode()
        if secret is not None and not secret:
            raise ValueError("secret must not be empty (pass None to disable signing)")
        self._secret: bytes | None = secret
        # fsync makes an artifact survive an OS crash; atomic renames alone already rule out torn
        # artifacts when a worker dies. HAMILFLOW_STORE_DURABLE=0 trades the former for speed.
        if durable is None:
            durable = os.environ.get("HAMILFLOW_STORE_DURABLE", "1") not in ("0", "false", "no")
        self.durable = durable
        self._fs: Any = None
        url = url.removeprefix("file://")
        if "://" in url:
            import fsspec  # lazy: local stores do not need it

            self._fs, root = fsspec.core.url_to_fs(url)
            self._root = root.rstrip("/")
            self.url = url
        else:
            self._root = str(Path(url).expanduser().absolute())
            self.url = self._root

    @classmethod
    def from_env(cls, default: str | os.PathLike[str] | None = None) -> ArtifactStore:
        """Build a store from ``HAMILFLOW_STORE_URL`` / ``HAMILFLOW_STORE_SECRET``.

        Falls back to ``default``, then ``./.hamilflow/artifacts``; an empty secret means none.

        Example:
            >>> ArtifactStore.from_env("memory://fallback")  # doctest: +SKIP
            ArtifactStore('memory://fallback', signed=False)
        """
        url = os.environ.get("HAMILFLOW_STORE_URL") or default
        return cls(url, secret=os.environ.get("HAMILFLOW_STORE_SECRET") or None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r}, signed={self._secret is not None})"

    # ------------------------------------------------------------------ refs
    @staticmethod
    def ref(dag_id: str, run_id: str, node: str, map_index: Sequence[int] = ()) -> str:
        """Return the ref for one node output of one run; unmapped outputs are ``_.pkl``.

        Example:
            >>> ArtifactStore.ref("dag", "scheduled__2026-01-01T00:00:00+00:00", "n", (3,))
            'dag/scheduled__2026-01-01T00%3A00%3A00%2B00%3A00/n/3.pkl'
        """
        for i in map_index:
            if isinstance(i, bool) or not isinstance(i, int) or i < 0:
                raise ValueError(f"map_index must be a tuple of non-negative ints, got {map_index!r}")
        leaf = ".".join(str(i) for i in map_index) or "_"
        parts = (_quote(dag_id, "dag_id"), _quote(run_id, "run_id"), _quote(node, "node"))
        return "/".join((*parts, f"{leaf}.pkl"))

    def _path(self, *parts: str) -> str:
        return "/".join((self._root, *parts)) if self._fs is not None else os.path.join(self._root, *parts)

    def _run_path(self, dag_id: str, run_id: str) -> str:
        return self._path(_quote(dag_id, "dag_id"), _quote(run_id, "run_id"))

    # ------------------------------------------------------------- encoding
    def _encode(self, value: Any) -> bytes:
        payload = cloudpickle.dumps(value, protocol=cloudpickle.DEFAULT_PROTOCOL)
        digest = hashlib.sha256(payload).digest()
        if self._secret is None:
            flags, mac = 0, bytes(32)
        else:
            flags, mac = _FLAG_SIGNED, hmac.new(self._secret, payload, hashlib.sha256).digest()
        return b"".join((MAGIC, bytes((FORMAT_VERSION, flags)), digest, mac, payload))

    def _decode(self, ref: str, blob: bytes) -> Any:
        def fail(problem: str, fix: str) -> ArtifactIntegrityError:
            return ArtifactIntegrityError(f"artifact {ref!r} in {self.url} {problem}; {fix}")

        rerun = "delete it and rerun the task that produces it"
        if len(blob) < _HEADER_LEN or not blob.startswith(MAGIC):
            raise fail("is not a hamilflow artifact (bad header or truncated)", rerun)
        version, flags = blob[len(MAGIC)], blob[len(MAGIC) + 1]
        if version != FORMAT_VERSION:
            raise fail(f"has format version {version}, this hamilflow reads {FORMAT_VERSION}", rerun)
        digest, mac = blob[len(MAGIC) + 2 : len(MAGIC) + 34], blob[len(MAGIC) + 34 : _HEADER_LEN]
        payload = memoryview(blob)[_HEADER_LEN:]
        if not hmac.compare_digest(hashlib.sha256(payload).digest(), digest):
            raise fail("failed its SHA-256 checksum (corrupted or partially copied)", rerun)
        if self._secret is not None:
            if not flags & _FLAG_SIGNED:
                raise fail(
                    "is unsigned but this store requires signatures",
                    "was it written without HAMILFLOW_STORE_SECRET? Give every task the same secret and rerun",
                )
            if not hmac.compare_digest(hmac.new(self._secret, payload, hashlib.sha256).digest(), mac):
                raise fail(
                    "has an invalid HMAC signature",
                    "was it written with a different HAMILFLOW_STORE_SECRET? Use one secret for all tasks and rerun",
                )
        return cloudpickle.loads(payload)

    # ------------------------------------------------------------------ I/O
    def put(self, ref: str, value: Any) -> str:
        """Serialize ``value`` with cloudpickle and atomically write it under ``ref``.

        Local files: temp file in the same folder, fsync, ``os.replace``. fsspec: temp
        object then ``fs.mv``, except object stores (s3, gcs, azure) whose single PUT is
        already atomic and which are written directly. Returns ``ref``.

        Example:
            >>> store = ArtifactStore("memory://doc-put")
            >>> store.put("d/r/n/_.pkl", 42)
            'd/r/n/_.pkl'
        """
        parts = _check_ref(ref)
        data = self._encode(value)
        final = self._path(*parts)
        tmp_name = f".{parts[-1]}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        if self._fs is None:
            self._put_local(final, os.path.join(os.path.dirname(final), tmp_name), data, self.durable)
        else:
            self._put_fsspec(final, self._path(*parts[:-1], tmp_name), data)
        return ref

    @staticmethod
    def _put_local(final: str, tmp: str, data: bytes, durable: bool = True) -> None:
        directory = os.path.dirname(final)
        os.makedirs(directory, exist_ok=True)
        try:
            with open(tmp, "xb") as fh:
                _write_chunks(fh, data)
                fh.flush()
                if durable:
                    os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        if not durable:
            return
        try:  # make the rename itself durable; not possible on every platform
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            with contextlib.suppress(OSError):
                os.fsync(fd)
        finally:
            os.close(fd)

    def _put_fsspec(self, final: str, tmp: str, data: bytes) -> None:
        fs = self._fs
        protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
        if protocols & _ATOMIC_PUT_PROTOCOLS:
            fs.pipe_file(final, data)
            return
        fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        try:
            fs.pipe_file(tmp, data)
            fs.mv(tmp, final)
        except BaseException:
            with contextlib.suppress(Exception):  # best effort; keep the real error
                fs.rm_file(tmp)
            raise

    def get(self, ref: str) -> Any:
        """Read, verify and unpickle the artifact under ``ref``.

        Raises ``ArtifactNotFoundError`` if missing, ``ArtifactIntegrityError`` if the
        checksum or (with a secret) the signature does not match; nothing is unpickled then.

        Example:
            >>> store = ArtifactStore("memory://doc-get")
            >>> store.get(store.put("d/r/n/_.pkl", "hi"))
            'hi'
        """
        path = self._path(*_check_ref(ref))
        try:
            if self._fs is None:
                with open(path, "rb") as fh:
                    blob = fh.read()
            else:
                blob = self._fs.cat_file(path)
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ArtifactNotFoundError(f"artifact {ref!r} not found in store {self.url}") from exc
        return self._decode(ref, blob)

    def get_many(self, refs: Iterable[str]) -> list[Any]:
        """``[store.get(r) for r in refs]``, in order."""
        return [self.get(ref) for ref in refs]

    def exists(self, ref: str) -> bool:
        """Whether an artifact is stored under ``ref``."""
        path = self._path(*_check_ref(ref))
        return os.path.isfile(path) if self._fs is None else bool(self._fs.isfile(path))

    def list_run(self, dag_id: str, run_id: str) -> list[str]:
        """Sorted refs of all artifacts of one run (temp files are skipped).

        Example:
            >>> store = ArtifactStore("memory://doc-list")
            >>> _ = store.put(store.ref("d", "r", "n"), 1)
            >>> store.list_run("d", "r")
            ['d/r/n/_.pkl']
        """
        base = self._run_path(dag_id, run_id)
        if self._fs is None:
            found = [os.path.join(d, f) for d, _, files in os.walk(base) for f in files]
            rels = [os.path.relpath(p, self._root).replace(os.sep, "/") for p in found]
        else:
            found = self._fs.find(base) if self._fs.exists(base) else []
            rels = [p.rstrip("/")[len(self._root) + 1 :] for p in found]
        return sorted(r for r in rels if r.endswith(".pkl") and not r.rsplit("/", 1)[-1].startswith("."))

    def delete_run(self, dag_id: str, run_id: str) -> None:
        """Remove every artifact of one run (and nothing else); a missing run is a no-op."""
        base = self._run_path(dag_id, run_id)
        if self._fs is None:
            if os.path.isdir(base):
                shutil.rmtree(base)
        elif self._fs.exists(base):
            self._fs.rm(base, recursive=True)
