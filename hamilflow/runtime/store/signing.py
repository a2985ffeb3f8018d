"""Signing and verifying artifacts: keys, the identity-bound MAC, and every check made before unpickling.

The MAC binds an artifact's identity (namespace and ref) and the format version as well as the
digest of its bytes, so a signed artifact copied to another place is refused unread.
"""

from __future__ import annotations

import hmac
import mmap
from collections.abc import Callable
from typing import Any

import cloudpickle

from hamilflow.errors import SettingError
from hamilflow.runtime.store.codec import (
    _FLAG_SIGNED,
    _HEADER_LEN,
    _ID_LEN,
    _MAX_IDENTITY,
    _READS,
    FORMAT_VERSION,
    MAGIC,
    _BytesFile,
    _dump,
    _HashingWriter,
    _split_buffers,
    content_hasher,
)
from hamilflow.runtime.store.errors import ArtifactIntegrityError

_MAC_DOMAIN = b"hamilflow artifact\0"


def _as_key(secret: bytes | str | None, what: str) -> bytes | None:
    if secret is None:
        return None
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    if not key:
        hint = " (pass None to disable signing)" if what == "secret" else ""
        raise SettingError(f"{what} must not be empty{hint}")
    return key


def _mac(key: bytes, version: int, flags: int, identity: bytes, digest: bytes) -> bytes:
    size = len(identity).to_bytes(_ID_LEN, "big")
    return hmac.new(key, b"".join((_MAC_DOMAIN, bytes((version, flags)), size, identity, digest)), "sha256").digest()


class _Sealing:
    """The signing and verifying half of :class:`~hamilflow.runtime.store.ArtifactStore`."""

    # the store's own: its keys, what a signature binds for a ref, and where it is (for messages)
    _secret: bytes | None
    _keys: tuple[bytes, ...]
    _identity: Callable[[str], bytes]
    _where: Callable[[], str]

    def _identity_head(self, ref: str) -> tuple[bytes, bytes]:
        """``(identity, its length and itself)``: what follows the fixed header."""
        identity = self._identity(ref)
        if len(identity) > _MAX_IDENTITY:
            raise SettingError(
                f"artifact ref {ref[:100]!r}... is {len(identity)} bytes long, more than {_MAX_IDENTITY}: "
                "shorten the DAG id, run id or node name"
            )
        return identity, len(identity).to_bytes(_ID_LEN, "big") + identity

    def _header(self, identity: bytes, digest: bytes) -> bytes:
        """The fixed header: magic, version, flags, the digest of the rest and (with a secret) the bound MAC."""
        if self._secret is None:
            flags, mac = 0, bytes(32)
        else:
            flags = _FLAG_SIGNED
            mac = _mac(self._secret, FORMAT_VERSION, flags, identity, digest)
        return b"".join((MAGIC, bytes((FORMAT_VERSION, flags)), digest, mac))

    def _encode(self, ref: str, value: Any) -> bytes:
        """The whole artifact as bytes (fsspec stores, which take one object); local files are streamed."""
        identity, head = self._identity_head(ref)
        hasher = content_hasher(FORMAT_VERSION, head)
        body = _BytesFile()
        _dump(value, _HashingWriter(body, hasher, _HEADER_LEN + len(head)))
        return b"".join((self._header(identity, hasher.digest()), head, *body.parts))

    @staticmethod
    def _split_identity(rest: bytes | memoryview) -> tuple[bytes, int] | None:
        """``(identity, where the payload starts)`` of a format-2 body, or None if malformed."""
        if len(rest) < _ID_LEN:
            return None
        end = _ID_LEN + int.from_bytes(rest[:_ID_LEN], "big")
        return (bytes(rest[_ID_LEN:end]), end) if end <= len(rest) else None

    def _decode(self, ref: str, blob: bytes | bytearray | mmap.mmap, rest_digest: bytes | None = None) -> Any:
        """Verify and unpickle an artifact's bytes; ``rest_digest`` is the digest of ``blob[72:]`` if
        already known."""

        def fail(problem: str, fix: str) -> ArtifactIntegrityError:
            return ArtifactIntegrityError(f"artifact {ref!r} in {self._where()} {problem}; {fix}")

        rerun = "delete it and rerun the task that produces it"
        if len(blob) < _HEADER_LEN or blob[: len(MAGIC)] != MAGIC:
            raise fail("is not a hamilflow artifact (bad header or truncated)", rerun)
        version, flags = blob[len(MAGIC)], blob[len(MAGIC) + 1]
        if version not in _READS:
            raise fail(f"has format version {version}, this hamilflow reads {', '.join(map(str, _READS))}", rerun)
        digest, mac = blob[len(MAGIC) + 2 : len(MAGIC) + 34], blob[len(MAGIC) + 34 : _HEADER_LEN]
        rest = memoryview(blob)[_HEADER_LEN:]
        if rest_digest is None:
            rest_digest = content_hasher(version, rest).digest()
        if not hmac.compare_digest(rest_digest, digest):
            raise fail("failed its checksum (corrupted or partially copied)", rerun)
        if version == 1:
            if self._keys:
                raise fail(
                    "was written in format 1 by an older hamilflow, whose signature does not bind an artifact "
                    "to its ref, so it may have been copied from anywhere",
                    f"{rerun} with this hamilflow, which signs it for its ref",
                )
            return cloudpickle.loads(rest)
        expected = self._identity(ref)
        found = self._split_identity(rest)
        if self._keys:
            if not flags & _FLAG_SIGNED:
                raise fail(
                    "is unsigned but this store requires signatures",
                    "was it written without HAMILFLOW_STORE_SECRET? Give every task the same secret and rerun "
                    "the task that produces it",
                )
            if not any(hmac.compare_digest(_mac(k, version, flags, expected, digest), mac) for k in self._keys):
                if found is not None and found[0] != expected:
                    raise self._misplaced(ref, found[0], rerun)
                raise fail(
                    "has an invalid HMAC signature",
                    "was it written with a different HAMILFLOW_STORE_SECRET? Use one signing secret for all tasks "
                    "and rerun; after rotating the secret, list the previous one in HAMILFLOW_STORE_VERIFY_SECRETS",
                )
        if found is None:
            raise fail("is not a hamilflow artifact (bad identity header)", rerun)
        if found[0] != expected:
            raise self._misplaced(ref, found[0], rerun)
        if version == 2:
            return cloudpickle.loads(rest[found[1] :])
        layout = _split_buffers(rest, found[1])
        if layout is None:
            raise fail("is not a hamilflow artifact (bad buffer table)", rerun)
        stream, buffers = layout
        if isinstance(blob, bytes):  # arrays on immutable bytes would be read-only: give them their own memory
            buffers = [bytearray(b) for b in buffers]
        return cloudpickle.loads(stream, buffers=buffers)

    def _misplaced(self, ref: str, identity: bytes, rerun: str) -> ArtifactIntegrityError:
        written_for = identity[:600].decode("ascii", "replace")
        return ArtifactIntegrityError(
            f"artifact {ref!r} in {self._where()} was written for {written_for!r}, not for this ref: it was copied "
            f"or moved from another node, map index, run, DAG or namespace, and is refused unread; {rerun} "
            "(artifacts cannot be copied between refs)"
        )
