"""google-auth's transport interface over a sync ``httpx.Client``: token refreshes without ``requests``.

``credentials.refresh(HttpxAuthRequest())`` works like with ``google.auth.transport.requests``,
without the ~145 ms import of requests/urllib3. Neither httpx nor google.auth is imported until an
``HttpxAuthRequest`` is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import httpx


class HttpxAuthResponse:
    """google-auth's ``transport.Response``: status, headers and body of a token-endpoint answer."""

    def __init__(self, status: int, headers: Mapping[str, str], data: bytes) -> None:
        self.status = status
        self.headers = dict(headers)
        self.data = data


class HttpxAuthRequest:
    """google-auth's ``transport.Request`` over a sync ``httpx.Client`` (instead of ``requests``).

    ``credentials.refresh(HttpxAuthRequest())`` works like with ``google.auth.transport.requests``,
    without the ~145 ms import of requests/urllib3. It is registered as a virtual subclass of
    ``google.auth.transport.Request`` and ``Response`` on first construction.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        import httpx  # lazy: httpx, loaded with the first credentials

        _register_transport_abcs()
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(transport=transport)
        self._timeout_s = timeout_s

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> HttpxAuthResponse:
        """Make one HTTP request; network failures become ``google.auth.exceptions.TransportError``."""
        import httpx  # lazy: httpx, loaded with the first credentials
        from google.auth import exceptions  # lazy: google.auth, loaded with the first credentials

        try:
            response = self._client.request(
                method,
                url,
                content=body,
                headers=dict(headers or {}),
                timeout=self._timeout_s if timeout is None else timeout,
            )
        except httpx.HTTPError as exc:
            raise exceptions.TransportError(f"{type(exc).__name__} calling {_origin(url)}") from exc
        return HttpxAuthResponse(response.status_code, response.headers, response.content)

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            self._client.close()


_registered = False


def _register_transport_abcs() -> None:
    global _registered
    if not _registered:
        from google.auth import transport  # lazy: google.auth, loaded with the first credentials

        transport.Request.register(HttpxAuthRequest)
        transport.Response.register(HttpxAuthResponse)
        _registered = True


def _origin(url: str) -> str:
    """The scheme and host of a URL: enough to say where, never a query string."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0]}"


__all__ = ["HttpxAuthRequest", "HttpxAuthResponse"]
