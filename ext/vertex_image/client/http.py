"""The HTTP client: one ``httpx.AsyncClient``, auth headers, retries, bounded concurrency, typed errors.

Policy (WIRE.md §6.3, done better than the SDK): success is exactly HTTP 200; 408/429/500/502/503/504,
connect errors, timeouts and connections dropped mid-body are retried with exponential backoff and
jitter, waiting what ``Retry-After`` / ``RetryInfo`` ask for when they are given, within
``max_attempts`` and ``deadline_s``; a 401 refreshes the credentials once. Streams are retried only
before their first chunk. Every message and log record goes through the auth's secrets first.

Every wait has a bound: one attempt (sending, the answer's headers and its whole body) is bounded by
``timeout_s`` and by what is left of ``deadline_s``, so a server that drips its body cannot hold a call
past its deadline; a body larger than ``max_response_bytes`` is refused without being read further.

Concurrency adapts (AIMD): the limit starts at ``max_concurrency``, halves on a 429, and grows back by one
after as many successes as the limit; the ``Retry-After`` of a 429 holds every new attempt of the client
until it has passed, not only the retry of the request that got it. A ``max_concurrency`` the user set is
a hard cap; the default one is a start: with ``grow_to`` (what the registry gives when the user set none)
the limit grows by one per success up to ``grow_to`` until the first 429, so a quota that takes more
is used, and one that does not says so at once.

A ``Client`` belongs to the event loop it first runs in (its ``httpx.AsyncClient`` does):
in the extension that is the ``Runtime`` loop. ``retire()`` is how a configuration change drops a client:
calls in flight finish on it, and its connections close when the last one is done.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import json
import logging
import platform
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.request import getproxies

import httpx

from .._version import __version__
from ..base.config import Settings
from ..base.errors import APIError, AuthError, ResponseFormatError, TransportError, VertexImageError
from ..wire import bodyjson
from ..wire.apierrors import error_from_response, error_from_stream_chunk, excerpt, is_bare_error, strip_key
from ..wire.gemini_stream import SSEParser
from .auth import redact
from .endpoints import model_url

if TYPE_CHECKING:
    from .auth import Auth

logger = logging.getLogger("vertex_image")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
INITIAL_BACKOFF_S = 1.0
BACKOFF_FACTOR = 2.0
MAX_BACKOFF_S = 60.0
JITTER_S = 1.0
PING_TIMEOUT_S = 2.0
# The largest answer read: 4 images of 4096 px as base64 PNG stay well under it; a 300 MB body does not.
MAX_RESPONSE_BYTES = 128 * 1024 * 1024
USER_AGENT = f"vertex-image/{__version__} gl-python/{platform.python_version()}"

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)


@dataclass(frozen=True)
class RetryEvent:
    """One wait before a retry, for progress displays.

    Attributes:
        attempt: the attempt that failed (1 is the first request).
        wait_s: how long the client waits before the next attempt.
        reason: why, e.g. ``429 RESOURCE_EXHAUSTED`` or ``connect error``.
    """

    attempt: int
    wait_s: float
    reason: str


OnRetry = Callable[[RetryEvent], object]


@dataclass
class _OpenStream:
    """A stream that has delivered its first chunks; ``stack`` closes it and frees its slot."""

    stack: contextlib.AsyncExitStack
    raw: AsyncIterator[bytes]
    parser: Any
    first: list[dict[str, Any]]
    ended: bool
    received: int = 0


class Client:
    """Sends Imagen ``:predict`` and Gemini ``:generateContent`` requests for one set of settings.

    Args:
        settings: the effective settings (backend, project, limits, timeouts).
        auth: supplies headers and the secrets to redact.
        transport: an httpx transport (``httpx.MockTransport`` in tests); None for the network.
        sleep, clock, rng: injected for tests of the retry timing.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        auth: Auth,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        grow_to: int | None = None,
    ) -> None:
        self.settings = settings
        self.max_response_bytes = max_response_bytes
        self.grow_to = grow_to
        self._auth = auth
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._http: httpx.AsyncClient | None = None
        self._direct: httpx.AsyncBaseTransport | None = None  # see _connection
        self._loop: asyncio.AbstractEventLoop | None = None
        self._limit: AdaptiveLimit | None = None
        self._closed = False
        self._retired = False
        self._in_flight = 0
        self._hold_until = 0.0  # a 429's Retry-After: no new attempt before this clock time

    def __repr__(self) -> str:
        return (
            f"Client(backend={self.settings.backend!r}, auth={self._auth.description!r}, "
            f"max_concurrency={self.settings.max_concurrency})"
        )

    @property
    def in_flight(self) -> int:
        """Requests of this client started and not finished (waiting for a slot, sent, or between retries)."""
        return self._in_flight

    @property
    def concurrency(self) -> int:
        """Requests allowed in flight right now: ``max_concurrency``, less after 429s (it grows back), more
        with ``grow_to`` while no 429 came."""
        return self._limit.limit if self._limit is not None else self.settings.max_concurrency

    @property
    def retired(self) -> bool:
        """True once ``retire()`` was called: the calls in flight finish, then the connections close."""
        return self._retired

    # --- public calls ----------------------------------------------------------------------------

    async def predict(
        self, model_id: str, body: Mapping[str, Any], *, location: str, on_retry: OnRetry | None = None
    ) -> dict[str, Any]:
        """POST an Imagen ``:predict`` body; the parsed JSON response."""
        return await self._unary("predict", model_id, body, location, on_retry)

    async def generate_content(
        self, model_id: str, body: Mapping[str, Any], *, location: str, on_retry: OnRetry | None = None
    ) -> dict[str, Any]:
        """POST a Gemini ``:generateContent`` body; the parsed JSON response."""
        return await self._unary("generateContent", model_id, body, location, on_retry)

    async def stream_generate_content(
        self, model_id: str, body: Mapping[str, Any], *, location: str, on_retry: OnRetry | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """POST to ``:streamGenerateContent?alt=sse``; yields each JSON chunk as it arrives.

        Retries happen only before the first chunk. A bare ``{"error": ...}`` in the stream raises
        the matching ``APIError``; a connection dropped mid-stream raises ``TransportError``.
        Close the iterator (``contextlib.aclosing``) when stopping early, to free the connection.
        """
        url = self._url(model_id, "streamGenerateContent", location)
        payload = _encode(body)
        self._enter()
        try:
            async for chunk in self._stream(url, payload, model_id, on_retry):
                yield chunk
        finally:
            await self._leave()

    async def _stream(
        self, url: str, payload: bytes, model_id: str, on_retry: OnRetry | None
    ) -> AsyncIterator[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.deadline_s  # the whole stream, like a unary call's body
        opened = await self._with_retries(
            url, lambda attempt, timeout: self._open_stream(url, payload, model_id, attempt, timeout), on_retry
        )
        delivered = 0
        async with opened.stack:
            chunks, ended = opened.first, opened.ended
            while True:
                for chunk in chunks:
                    yield self._checked(chunk, url, model_id)
                    delivered += 1
                if ended:
                    return
                try:
                    chunks, ended = await _within(
                        max(0.001, deadline - loop.time()), self._next_chunks(opened.raw, opened.parser, opened, url)
                    )
                except TimeoutError:
                    raise self._transport_error(
                        httpx.ReadTimeout(f"the stream passed its {self.settings.deadline_s:g} s deadline"),
                        url, f"timeout after {delivered} stream chunk(s)",
                    ) from None
                except httpx.TransportError as exc:
                    raise self._transport_error(
                        exc, url, f"the connection dropped after {delivered} stream chunk(s)"
                    ) from exc

    async def get_json(self, url: str, *, on_retry: OnRetry | None = None) -> dict[str, Any]:
        """GET a JSON resource (a model listing, a health check) with the same auth, retries and limits."""
        return await self._held(self._with_retries(
            url, lambda attempt, timeout: self._unary_attempt(url, None, "", attempt, timeout), on_retry
        ))

    async def post_json(
        self, url: str, body: Mapping[str, Any], *, on_retry: OnRetry | None = None, model_id: str = ""
    ) -> dict[str, Any]:
        """POST a JSON body to a full URL (a gateway's OpenAI route) with the same auth, retries and limits."""
        payload = _encode(body)
        return await self._held(self._with_retries(
            url, lambda attempt, timeout: self._unary_attempt(url, payload, model_id, attempt, timeout), on_retry
        ))

    async def post_form(
        self,
        url: str,
        fields: Mapping[str, str],
        files: list[tuple[str, tuple[str, bytes, str]]],
        *,
        on_retry: OnRetry | None = None,
        model_id: str = "",
    ) -> dict[str, Any]:
        """POST ``multipart/form-data`` (OpenAI's ``/v1/images/edits``): text ``fields`` and ``files`` as
        ``(field name, (file name, bytes, MIME type))``, with the same auth, retries and limits."""
        return await self._held(self._with_retries(
            url,
            lambda attempt, timeout: self._unary_attempt(
                url, b"", model_id, attempt, timeout, form=(dict(fields), list(files))
            ),
            on_retry,
        ))

    async def send(
        self,
        verb: str,
        url: str,
        *,
        body: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
        on_retry: OnRetry | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Any other call of the batch APIs, Files API and Cloud Storage: ``verb`` to ``url`` with a JSON
        ``body`` or raw ``content``; the answer's headers (lower-case) and bytes when it is HTTP 200.

        The same credentials, redaction, limits and typed errors as the model calls; ``retry=False`` for
        a call that must not run twice (creating a job).
        """
        payload = _encode(body) if body is not None else content
        extra = dict(headers or {})

        async def attempt(number: int, timeout: float) -> tuple[dict[str, str], bytes]:
            sent = await self._headers()
            sent["content-type"] = content_type
            if payload is None:
                sent.pop("content-type", None)
            sent.update(extra)
            status, headers, answer, epoch = await self._exchange(verb, url, sent, timeout, number, content=payload)
            if status != 200:
                raise _sent_in(self._api_error(status, headers, answer, url, ""), epoch)
            return {k.lower(): v for k, v in headers.items()}, bytes(answer)

        if not retry:
            self._enter()
            try:
                return await attempt(1, self.settings.timeout_s)
            except httpx.TransportError as exc:
                raise self._final(exc, url, 1, "") from exc
            finally:
                await self._leave()
        return await self._held(self._with_retries(url, attempt, on_retry))

    async def send_json(self, verb: str, url: str, body: Mapping[str, Any] | None = None, *,
                        retry: bool = True) -> dict[str, Any]:  # fmt: skip
        """``send`` with a JSON answer (an object)."""
        _, content = await self.send(verb, url, body=body, retry=retry)
        return _json_object(content, url, self._redact)

    async def ping(self, *, timeout_s: float = PING_TIMEOUT_S) -> int:
        """GET the root of the base URL once (no credentials, no retries): the HTTP status, any one of which
        means something answers there. For the doctor's emulator check.

        Raises:
            TransportError: nothing answers; the httpx error is its ``__cause__``.
        """
        http = self._connection()[0]
        url = self.settings.base_url.rstrip("/") + "/"
        try:
            response = await http.get(url, timeout=timeout_s)
        except httpx.HTTPError as exc:
            raise TransportError(self._redact(f"{url} does not answer ({type(exc).__name__}).")) from exc
        return response.status_code

    async def aclose(self) -> None:
        """Close the connection pool now; the client cannot be used afterwards (see ``retire``)."""
        self._closed = True
        await self._close_pool()

    async def retire(self) -> None:
        """Stop being the client new calls use, without breaking the ones in flight.

        Calls in flight (and any started later by a holder of this object) finish normally; the
        connections close when the last of them is done. A configuration change uses this, never
        ``aclose``: new settings apply to new calls.
        """
        self._retired = True
        if not self._in_flight:
            await self._close_pool()

    async def _close_pool(self) -> None:
        http, self._http, self._direct = self._http, None, None
        if http is not None:
            await http.aclose()  # and the transport it was built on

    def _enter(self) -> None:
        if self._closed:
            raise RuntimeError("This Client was closed (aclose); create a new one.")
        self._in_flight += 1

    async def _leave(self) -> None:
        self._in_flight -= 1
        if self._retired and not self._in_flight:
            await self._close_pool()

    async def _held(self, work: Coroutine[Any, Any, T]) -> T:
        """``work`` counted in flight: a retired client keeps its connections open until it is done."""
        try:
            self._enter()
        except RuntimeError:
            work.close()  # type: ignore[attr-defined]
            raise
        try:
            return await work
        finally:
            await self._leave()

    # --- one request with its retries -----------------------------------------------------------

    async def _unary(
        self, method: str, model_id: str, body: Mapping[str, Any], location: str, on_retry: OnRetry | None
    ) -> dict[str, Any]:
        url = self._url(model_id, method, location)
        payload = _encode(body)
        return await self._held(self._with_retries(
            url, lambda attempt, timeout: self._unary_attempt(url, payload, model_id, attempt, timeout), on_retry
        ))

    async def _with_retries(
        self, url: str, attempt_once: Callable[[int, float], Awaitable[T]], on_retry: OnRetry | None
    ) -> T:
        """Run ``attempt_once`` until it succeeds, fails for good, or attempts or deadline run out."""
        start = self._clock()
        deadline = start + self.settings.deadline_s
        failures = 0
        refreshed = False
        while True:
            held = self._hold_until - self._clock()
            if held > 0 and self._clock() + held <= deadline:  # another request's 429 asked everyone to wait
                await self._sleep(held)
            timeout = max(0.001, min(self.settings.timeout_s, deadline - self._clock()))
            try:
                return await attempt_once(failures + 1, timeout)
            except AuthError as exc:
                if exc.code != 401 or refreshed:
                    raise
                refreshed = True  # one refresh per request, and it does not count as an attempt
                if not await self._auth.refresh_after_401():
                    raise
                self._debug("401 from %s: credentials refreshed, retrying once", url)
            except (APIError, httpx.TransportError) as exc:
                failures += 1
                reason = _retry_reason(exc)
                if reason is None:
                    raise self._final(exc, url, failures, "") from _cause(exc)
                wait = self._wait_s(exc, failures)
                throttled = isinstance(exc, APIError) and exc.code == 429
                if throttled and self._limit is not None:
                    # halve the concurrency, once per burst: by the epoch the attempt was sent in (_sent_in)
                    self._limit.throttled(getattr(exc, "limit_epoch", self._limit.epoch))
                if throttled and exc.retry_after_s and self._clock() + wait <= deadline:  # type: ignore[union-attr]
                    self._hold_until = max(self._hold_until, self._clock() + wait)  # for every new attempt
                if failures >= self.settings.max_attempts:
                    raise self._final(exc, url, failures, "") from _cause(exc)
                if self._clock() + wait > deadline:
                    note = f"the next wait ({wait:.1f} s) would pass the {self.settings.deadline_s:g} s deadline"
                    raise self._final(exc, url, failures, note) from _cause(exc)
                event = RetryEvent(attempt=failures, wait_s=wait, reason=reason)
                self._debug("POST %s attempt %d failed (%s); retrying in %.2f s", url, failures, reason, wait)
                if on_retry is not None:
                    on_retry(event)
                await self._sleep(wait)

    def _wait_s(self, exc: BaseException, failures: int) -> float:
        """The service's delay when it gave one, else exponential backoff with jitter."""
        asked = exc.retry_after_s if isinstance(exc, APIError) else None
        if asked is not None:
            return asked
        backoff = INITIAL_BACKOFF_S * BACKOFF_FACTOR ** (failures - 1)
        return min(MAX_BACKOFF_S, backoff + JITTER_S * self._rng())

    def _final(self, exc: Exception, url: str, failures: int, note: str) -> Exception:
        """The error to raise when giving up: APIErrors as they are, network errors as TransportError."""
        if failures > 1 or note:
            note = f"Gave up after {failures} attempt(s){': ' + note if note else ''}."
        if isinstance(exc, httpx.TransportError):
            return self._transport_error(exc, url, _retry_reason(exc) or "network error", note)
        if note and isinstance(exc, VertexImageError):
            _set_message(exc, f"{exc.message} {self._redact(note)}")
        return exc

    # --- attempts ------------------------------------------------------------------------------

    async def _unary_attempt(
        self,
        url: str,
        payload: bytes | None,
        model_id: str,
        attempt: int,
        timeout: float,
        form: tuple[dict[str, str], list[Any]] | None = None,
    ) -> dict[str, Any]:
        """One POST of ``payload`` (a GET when it is None; multipart when ``form`` is given) and its JSON answer."""
        headers = await self._headers()
        verb = "GET" if payload is None else "POST"
        if payload is None or form is not None:
            headers.pop("content-type", None)  # multipart: httpx sets it with the boundary
        status, response_headers, content, epoch = await self._exchange(
            verb, url, headers, timeout, attempt, content=payload, form=form
        )
        if status != 200:
            raise _sent_in(self._api_error(status, response_headers, content, url, model_id), epoch)
        data = _json_object(content, url, self._redact)
        del content  # the body goes as soon as it is read: only its images stay (as str, then bytes)
        if is_bare_error(data):
            raise _sent_in(self._scrub(error_from_stream_chunk(data, url=url, model=model_id)), epoch)
        return data

    async def _exchange(
        self,
        verb: str,
        url: str,
        headers: dict[str, str],
        timeout: float,
        attempt: int,
        *,
        content: bytes | None = None,
        form: tuple[dict[str, str], list[Any]] | None = None,
    ) -> tuple[int, httpx.Headers, bytes | bytearray, int]:
        """One request in a slot: status, headers and the whole body, all within ``timeout`` seconds, and the
        limit's epoch the slot was taken in (for ``_sent_in``).

        The time bound covers the body read (httpx's own timeouts are per network read, which a server
        sending a byte now and then never trips); a body over ``max_response_bytes`` is refused unread.
        """
        http, limit = self._connection()
        epoch = await self._slot(limit)
        try:
            if form is not None:
                request = http.build_request(verb, _parsed_url(url), data=form[0], files=form[1], headers=headers,
                                             timeout=timeout)  # fmt: skip
            else:
                request = http.build_request(verb, _parsed_url(url), content=content, headers=headers, timeout=timeout)
            self._debug("%s %s attempt %d", verb, url, attempt)
            status, response_headers, body = await _read_within(
                timeout, self._send_and_read(http, request, url), f"no complete answer within {timeout:g} s")
        finally:
            limit.release()
        self._debug("%s %s -> %d (attempt %d)", verb, url, status, attempt)
        if status == 200:
            limit.succeeded()
        return status, response_headers, body, epoch

    async def _send_and_read(
        self, http: httpx.AsyncClient, request: httpx.Request, url: str
    ) -> tuple[int, httpx.Headers, bytes | bytearray]:
        direct = self._direct
        if direct is not None:
            response = await direct.handle_async_request(request)
        else:
            response = await http.send(request, stream=True)
        try:
            return response.status_code, response.headers, await self._read_body(response, url)
        finally:
            await response.aclose()

    async def _read_body(self, response: httpx.Response, url: str) -> bytes | bytearray:
        """The whole body, refused past ``max_response_bytes`` (before reading, when it says its length).

        A body whose length is known is read into one buffer of that size: the network's small reads are
        copied in as they come and freed, never all held at once and then joined (a second copy).
        """
        cap = self.max_response_bytes
        declared = response.headers.get("content-length", "")
        length = int(declared) if declared.isdigit() else None
        if length is not None and length > cap:
            raise self._too_large(url, f"it says it is {_megabytes(length)}")
        if response.is_stream_consumed:  # made whole in memory (a mock transport's canned answer)
            content = response.content
            if len(content) > cap:
                raise self._too_large(url, f"it is {_megabytes(len(content))}")
            return content
        if length is not None and response.headers.get("content-encoding", "identity") == "identity":
            buffer = bytearray(length)
            view = memoryview(buffer)
            position = 0
            async for chunk in response.aiter_raw():
                end = position + len(chunk)
                if end > length:
                    raise httpx.RemoteProtocolError("the body is longer than its Content-Length")
                view[position:end] = chunk
                position = end
            view.release()
            if position != length:
                raise httpx.RemoteProtocolError("the body is shorter than its Content-Length")
            return buffer
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_large(url, f"more than {_megabytes(cap)} arrived")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, url: str, what: str) -> ResponseFormatError:
        return ResponseFormatError(self._redact(
            f"The answer from {url} is larger than the {_megabytes(self.max_response_bytes)} cap on a response "
            f"({what}); it was not read further. A proxy may be in the way: check HTTPS_PROXY and base_url."
        ))

    async def _slot(self, limit: AdaptiveLimit) -> int:
        """Wait for a slot; the limit's epoch when it was taken (a 429 to it halves that epoch's limit)."""
        return await limit.acquire()

    async def _open_stream(
        self, url: str, payload: bytes, model_id: str, attempt: int, timeout: float
    ) -> _OpenStream:
        http, limit = self._connection()
        headers = await self._headers()
        stack = contextlib.AsyncExitStack()
        epoch = None
        try:
            epoch = await self._slot(limit)
            stack.callback(limit.release)
            request = http.build_request("POST", _parsed_url(url), content=payload, headers=headers, timeout=timeout)
            self._debug("POST %s attempt %d (stream)", url, attempt)
            started = asyncio.get_running_loop().time()
            response = await _read_within(timeout, http.send(request, stream=True), f"no answer within {timeout:g} s")
            stack.push_async_callback(response.aclose)
            self._debug("POST %s -> %d (attempt %d)", url, response.status_code, attempt)
            left = max(0.001, timeout - (asyncio.get_running_loop().time() - started))
            if response.status_code != 200:
                body = await _read_within(
                    left, self._read_body(response, url), f"no complete answer within {timeout:g} s")
                raise self._api_error(response.status_code, response.headers, body, url, model_id)
            limit.succeeded()
            raw = response.aiter_bytes()
            parser = SSEParser()
            opened = _OpenStream(stack, raw, parser, [], False)
            first, ended = await _read_within(
                left, self._next_chunks(raw, parser, opened, url), f"no first chunk within {timeout:g} s")
            if first and is_bare_error(first[0]):  # before the first chunk: may be retried
                raise self._scrub(error_from_stream_chunk(first[0], url=url, model=model_id))
            if not first:
                raise ResponseFormatError(
                    f"The stream from {self._redact(url)} ended without a single chunk; try again, "
                    "or use the non-streaming call."
                )
            opened.first, opened.ended = first, ended
            return opened
        except BaseException as error:
            if isinstance(error, APIError) and epoch is not None:
                _sent_in(error, epoch)
            await stack.aclose()
            raise

    async def _next_chunks(
        self, raw: AsyncIterator[bytes], parser: Any, opened: _OpenStream, url: str
    ) -> tuple[list[dict[str, Any]], bool]:
        """Read until the parser gives at least one chunk (False) or the body ends (True); a stream is
        refused past ``max_response_bytes`` in all, as one answer is."""
        try:
            async for data in raw:
                opened.received += len(data)
                if opened.received > self.max_response_bytes:
                    raise self._too_large(url, f"more than {_megabytes(self.max_response_bytes)} of stream arrived")
                chunks = parser.feed(data)
                if chunks:
                    return list(chunks), False
            return list(parser.close()), True
        except VertexImageError:
            raise
        except ValueError as exc:
            raise ResponseFormatError(
                f"The stream carried a chunk that is not JSON: {self._redact(str(exc))}"
            ) from None

    def _checked(self, chunk: dict[str, Any], url: str, model_id: str) -> dict[str, Any]:
        if is_bare_error(chunk):
            raise self._scrub(error_from_stream_chunk(chunk, url=url, model=model_id))
        return chunk

    # --- plumbing -------------------------------------------------------------------------------

    def _connection(self) -> tuple[httpx.AsyncClient, AdaptiveLimit]:
        """The client's httpx client and limit, created in (and bound to) the running loop.

        A retired client whose connections were closed opens new ones for a call that still comes to it.
        """
        loop = asyncio.get_running_loop()
        if self._closed:
            raise RuntimeError("This Client was closed (aclose); create a new one.")
        if self._loop is None:
            self._loop = loop
            self._limit = AdaptiveLimit(self.settings.max_concurrency, grow_to=self.grow_to)
        elif loop is not self._loop:
            raise RuntimeError(
                "This Client belongs to another event loop; run its calls on the vertex-image "
                "runtime loop (await runtime.arun(coro))."
            )
        if self._http is None:
            # A unary request goes straight to the transport: the client's send adds cookies, auth flows,
            # redirects and event hooks, none of which these calls use, at ~0.25 ms a request (measured: 0.94 ms
            # through AsyncClient.send, 0.67 ms through its transport, for a small answer on loopback). The client
            # is built on that same transport (one pool of connections; its aclose closes it). With a proxy in
            # the environment the client's own choice of transport per URL is kept (its mounts); NO_PROXY alone
            # names no proxy.
            proxied = any(scheme != "no" for scheme in getproxies())
            self._direct = self._transport or (None if proxied else httpx.AsyncHTTPTransport())
            self._http = httpx.AsyncClient(transport=self._direct, timeout=self.settings.timeout_s)
        assert self._limit is not None
        return self._http, self._limit

    def _url(self, model_id: str, method: str, location: str) -> str:
        return model_url(self.settings, model_id=model_id, method=method, location=location)

    async def _headers(self) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "x-goog-api-client": USER_AGENT,
            **await self._auth.headers(),
        }

    def _api_error(
        self, status: int, headers: httpx.Headers, body: bytes | bytearray, url: str, model_id: str
    ) -> APIError:
        error = error_from_response(status, bytes(body), headers=headers, url=url, model=model_id)
        return self._scrub(error)

    def _transport_error(
        self, exc: httpx.TransportError, url: str, what: str, note: str = ""
    ) -> TransportError:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        message = (
            f"Network error calling {url}: {what} ({detail}).{' ' + note if note else ''} "
            "Check the network connection, any proxy (HTTPS_PROXY) and base_url, then try again."
        )
        return TransportError(self._redact(message))

    def _redact(self, text: str) -> str:
        secrets = [*self._auth.secrets(), self.settings.api_key]
        return strip_key(redact(text, secrets))

    def _scrub(self, error: APIError) -> APIError:
        """The error with every secret removed from its message, URL and details."""
        _set_message(error, self._redact(error.message))
        error.url = self._redact(error.url)
        error.details = [_redact_tree(detail, self._redact) for detail in error.details]
        return error

    def _debug(self, template: str, *args: object) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s", self._redact(template % args))


class AdaptiveLimit:
    """How many requests may be in flight: AIMD from ``start`` (``max_concurrency``), between 1 and the ceiling.

    The ceiling is ``start``, or ``grow_to`` when given: then, until the first 429, each success adds one
    (a slow start, as TCP's). ``throttled`` (a 429) halves the limit, once per burst: a 429 to a request
    sent before the last halving (an older ``epoch``) does not halve it again. After that ``succeeded``
    adds one after as many successes as the limit. Waiters are served first come, first served.
    Loop-bound, like ``asyncio.Semaphore``.
    """

    def __init__(self, start: int, *, grow_to: int | None = None) -> None:
        self.limit = max(1, start)
        self.ceiling = max(self.limit, grow_to or 0)
        self.slow_start = self.ceiling > self.limit
        self.active = 0
        self.epoch = 0
        self._successes = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def __repr__(self) -> str:
        return f"AdaptiveLimit(limit={self.limit}/{self.ceiling}, active={self.active}, waiting={len(self._waiters)})"

    async def acquire(self) -> int:
        """Wait for a slot; the epoch it was taken in (for ``throttled``)."""
        if self.active < self.limit and not self._waiters:
            self.active += 1
            return self.epoch
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over as the wait was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        return self.epoch

    def release(self) -> None:
        self.active -= 1
        self._wake()

    def succeeded(self) -> None:
        self._successes += 1
        if self.limit < self.ceiling and (self.slow_start or self._successes >= self.limit):
            self.limit += 1
            self._successes = 0
            self._wake()

    def throttled(self, epoch: int) -> None:
        if epoch != self.epoch:
            return  # sent before the last halving: that one already answered this burst
        self.limit = max(1, self.limit // 2)
        self.slow_start = False
        self.epoch += 1
        self._successes = 0

    def _wake(self) -> None:
        while self._waiters and self.active < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.active += 1
                waiter.set_result(None)


# --- helpers ---------------------------------------------------------------------------------------


if sys.version_info >= (3, 11):

    async def _within(seconds: float, work: Awaitable[T]) -> T:
        """``await work``, raising ``TimeoutError`` after ``seconds`` (and cancelling it)."""
        async with asyncio.timeout(seconds):
            return await work

else:  # pragma: no cover - Python 3.10

    async def _within(seconds: float, work: Awaitable[T]) -> T:
        """``await work``, raising ``TimeoutError`` after ``seconds`` (and cancelling it)."""
        try:
            return await asyncio.wait_for(work, seconds)
        except asyncio.TimeoutError:
            raise TimeoutError from None


@functools.lru_cache(maxsize=64)
def _parsed_url(url: str) -> httpx.URL:
    """``url`` parsed once: httpx's URL parser takes ~0.1 ms a request, a tenth of a small answer's round trip on
    loopback, and a kernel sends to a handful of URLs."""
    return httpx.URL(url)


def _sent_in(error: E, epoch: int) -> E:
    """``error`` marked with the concurrency limit's epoch its attempt was sent in: a 429 halves the limit once
    per burst (``AdaptiveLimit.throttled``), whatever other requests did while this one was answered."""
    error.limit_epoch = epoch  # type: ignore[attr-defined]
    return error


async def _read_within(seconds: float, work: Awaitable[T], late: str) -> T:
    """``_within`` for a request: past ``seconds`` it is an ``httpx.ReadTimeout`` saying ``late`` (retried as one;
    httpx's own timeouts bound each network read, not the whole answer)."""
    try:
        return await _within(seconds, work)
    except TimeoutError:
        raise httpx.ReadTimeout(late) from None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB" if size % (1024 * 1024) == 0 else f"{size / 1024 / 1024:.1f} MB"


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_object(content: bytes, url: str, redact: Callable[[str], str]) -> dict[str, Any]:
    try:
        data = bodyjson.loads(content)
    except ValueError:
        shown = excerpt(content.decode("utf-8", "replace")) or "an empty body"
        raise ResponseFormatError(
            redact(
                f"The service answered HTTP 200 from {url} with a body that is not JSON: {shown}. "
                "A proxy may be in the way: check HTTPS_PROXY and base_url."
            )
        ) from None
    if not isinstance(data, dict):
        raise ResponseFormatError(
            redact(f"The service answered HTTP 200 from {url} with a JSON {type(data).__name__}, not an object.")
        )
    return data


def _retry_reason(exc: BaseException) -> str | None:
    """Why ``exc`` is worth retrying, or None when it is not."""
    if isinstance(exc, APIError):
        if exc.code not in RETRY_STATUSES:
            return None
        return f"{exc.code} {exc.status or HTTPStatus(exc.code).phrase}"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect error"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return "connection dropped"
    return None


def _cause(exc: Exception) -> Exception | None:
    """Chain network errors (useful tracebacks); API errors carry all they need."""
    return exc if isinstance(exc, httpx.TransportError) else None


def _set_message(error: VertexImageError, message: str) -> None:
    error.message = message
    error.args = (message,)


def _redact_tree(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: _redact_tree(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_tree(item, redact) for item in value]
    return value


__all__ = ["MAX_RESPONSE_BYTES", "AdaptiveLimit", "Client", "OnRetry", "RetryEvent"]
