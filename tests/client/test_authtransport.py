"""client/authtransport.py: google-auth's token requests over httpx, without requests/urllib3."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from google.auth import exceptions as gexc
from google.auth import transport
from vertex_image.client.authtransport import HttpxAuthRequest


def test_httpx_auth_request_is_a_google_auth_transport() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, headers={"x-reply": "yes"}, content=b"body!")

    request = HttpxAuthRequest(transport=httpx.MockTransport(handler))
    response = request("https://example.test/path", method="POST", body=b"a=1", headers={"x-h": "v"}, timeout=5)
    assert isinstance(request, transport.Request)
    assert isinstance(response, transport.Response)
    assert (response.status, response.headers["x-reply"], response.data) == (201, "yes", b"body!")
    assert (seen[0].method, str(seen[0].url), seen[0].content, seen[0].headers["x-h"]) == (
        "POST",
        "https://example.test/path",
        b"a=1",
        "v",
    )
    request.close()


def test_httpx_auth_request_network_failure_is_google_transport_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    request = HttpxAuthRequest(transport=httpx.MockTransport(handler))
    with pytest.raises(gexc.TransportError, match="ConnectError calling https://oauth2.example"):
        request("https://oauth2.example/token?x=1")


def test_a_client_given_by_the_caller_is_not_closed() -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    HttpxAuthRequest(client=client).close()
    assert not client.is_closed
    client.close()


def test_importing_the_module_loads_neither_httpx_nor_google_auth() -> None:
    code = (
        "import sys, vertex_image.client.authtransport\n"
        "print([name for name in ('google.auth', 'httpx') if name in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
