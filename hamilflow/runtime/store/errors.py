"""The artifact store's errors: a ref that is missing, and an artifact that is refused unread."""

from __future__ import annotations

from hamilflow.errors import HamilflowError


class StoreError(HamilflowError):
    """Base class for artifact store errors."""


class ArtifactNotFoundError(StoreError, KeyError):
    """The ref does not exist in the store."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class ArtifactIntegrityError(StoreError):
    """The artifact is truncated, corrupted, unsigned, signed with another secret or for another ref."""
