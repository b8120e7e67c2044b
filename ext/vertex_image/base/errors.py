"""Typed errors of vertex-image: every message says what to do next.

The tree::

    VertexImageError
    ├── ConfigError          no backend, project, location or credentials could be resolved
    ├── InvalidRequest       options refused before any request (also a ValueError)
    │   ├── TargetExists     a save over an existing file without overwrite=True
    │   ├── ModelRetired     a shut-down model, answered before sending
    │   └── BudgetExceeded   the call's estimate would cross the budget or its max_cost
    ├── Cancelled            the user interrupted the request
    ├── StorageError         an image, the index or a session file could not be written or read
    ├── TransportError       the network failed after every retry
    ├── ResponseFormatError  HTTP 200, but a body we cannot read
    ├── APIError             the service answered with an error status
    │   ├── BadRequest       400 (INVALID_ARGUMENT, FAILED_PRECONDITION, a prompt blocked by Imagen)
    │   ├── AuthError        401, 403, an invalid API key, or credentials that cannot be refreshed
    │   ├── NotFound         404 (an unknown model, a wrong location)
    │   ├── QuotaExceeded    429 (retry_after_s, quota_id)
    │   └── ServiceError     5xx and anything else
    └── ImageBlocked         HTTP 200 with no image (safety filter, NO_IMAGE, a text-only reply)
        └── NoImageReturned  the model replied without an image and without a block reason

No secret ever goes into a message: callers pass texts through ``auth.redact`` first, and the
service's own messages carry none. This module has no dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class VertexImageError(Exception):
    """Root of every error raised by vertex-image."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (rebuild, (type(self), self.__dict__))


def rebuild(cls: type[VertexImageError], state: dict[str, Any]) -> VertexImageError:
    """Unpickle an error of class ``cls`` from its attributes (its ``__reduce__`` names this function)."""
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class ConfigError(VertexImageError):
    """The backend, project, location or credentials could not be resolved."""


class InvalidRequest(VertexImageError, ValueError):
    """Options refused before any request was sent (a model that cannot take them, a bad value)."""


class ModelRetired(InvalidRequest):
    """The model was shut down on the surface the call goes to; nothing was sent.

    ``replacement`` and ``thinking`` say what to use instead (Google's migration table); ``dropped`` lists the
    options given that the replacement has no equivalent for.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str = "",
        replacement: str | None = None,
        thinking: str | None = None,
        dropped: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.model = model
        self.replacement = replacement
        self.thinking = thinking
        self.dropped = tuple(dropped)


class BudgetExceeded(InvalidRequest):
    """The call's estimated cost would cross what is left of the budget (or the call's ``max_cost``); nothing
    was sent. The figures are attributes (USD): ``estimate``, ``spent``, ``budget`` and ``remaining`` (None
    without a budget), ``max_cost`` (None without one).
    """

    def __init__(
        self,
        message: str,
        *,
        estimate: float = 0.0,
        spent: float = 0.0,
        budget: float | None = None,
        remaining: float | None = None,
        max_cost: float | None = None,
    ) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.spent = spent
        self.budget = budget
        self.remaining = remaining
        self.max_cost = max_cost


class Cancelled(VertexImageError):
    """The request was cancelled (kernel interrupt, Cancel button); nothing was recorded."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


class NotRecorded(VertexImageError):
    """``replay="only"`` and the request has no saved answer: nothing was sent (``core.replay``)."""


CHOOSE_OUTPUT_DIR = "vi.configure(output_dir=...) or %config VertexImageMagics.output_dir = '...'"
"""How to choose another image folder: the end of every ``StorageError`` about the folder."""


class StorageError(VertexImageError):
    """A file of the image folder (an image, the index, a session) could not be written or read.

    The message names the folder or file, the reason (e.g. a file where a folder should be), and how
    to choose another folder. The ``OSError`` is the ``__cause__``.

    Attributes:
        path: the folder or file concerned.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class TargetExists(StorageError, FileExistsError):
    """A save was asked to write over an existing file without ``overwrite=True`` (also a FileExistsError)."""


class TransportError(VertexImageError):
    """The network failed (connect error, timeout, dropped connection) after every retry."""


class ResponseFormatError(VertexImageError):
    """The service answered HTTP 200 with a body that is not what the API documents."""


class APIError(VertexImageError):
    """The service answered with an error status.

    Attributes:
        code: the HTTP status (``None`` for a local authentication failure).
        status: the Google status name, e.g. ``RESOURCE_EXHAUSTED``.
        reason: ``ErrorInfo.reason`` when the service gave one, e.g. ``API_KEY_INVALID``.
        details: the ``details`` list of the error envelope, as received.
        url: the URL of the request, without any key.
        retry_after_s: the delay the service asked for before a retry (``Retry-After`` or
            ``RetryInfo``), if any; a 503 may carry one as well as a 429.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: str = "",
        reason: str = "",
        details: Sequence[Mapping[str, Any]] = (),
        url: str = "",
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.reason = reason
        self.details = list(details)
        self.url = url
        self.retry_after_s = retry_after_s


class BadRequest(APIError):
    """HTTP 400: the service refused the request as sent."""


class AuthError(APIError):
    """Credentials are missing, invalid, expired beyond refresh, or lack permission."""


class NotFound(APIError):
    """HTTP 404: an unknown model, or a model not served in this location or API version."""


class QuotaExceeded(APIError):
    """HTTP 429: quota or rate limit exhausted, after every retry.

    Attributes:
        retry_after_s: the delay the service asked for (``Retry-After`` or ``RetryInfo``), if any.
        quota_id: the quota that ran out (``QuotaFailure.violations[].quotaId`` or ``ErrorInfo``), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None = None,
        quota_id: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_s = retry_after_s
        self.quota_id = quota_id


class ServiceError(APIError):
    """HTTP 5xx (or any other unexpected status): the service failed; trying later may work."""


class ImageBlocked(VertexImageError):
    """The service answered, but gave no image; ``reasons`` says why (e.g. ``IMAGE_SAFETY``).

    Attributes:
        reasons: the block reasons, one per missing image or one for the whole prompt.
        text: any text the model sent instead of an image.
    """

    def __init__(self, message: str, *, reasons: Sequence[str] = (), text: str = "") -> None:
        super().__init__(message)
        self.reasons = list(reasons)
        self.text = text


class NoImageReturned(ImageBlocked):
    """The model replied (often with text only) but sent no image and no block reason."""


__all__ = [
    "APIError",
    "AuthError",
    "BadRequest",
    "BudgetExceeded",
    "Cancelled",
    "ConfigError",
    "ImageBlocked",
    "InvalidRequest",
    "NoImageReturned",
    "NotFound",
    "QuotaExceeded",
    "ResponseFormatError",
    "ServiceError",
    "StorageError",
    "TargetExists",
    "TransportError",
    "VertexImageError",
]
