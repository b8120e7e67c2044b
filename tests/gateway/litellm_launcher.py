"""Starts LiteLLM's own proxy server (its CLI, in this process) for the gateway tests.

LiteLLM 1.108 gives its ``/gemini`` pass-through a supported upstream override (``GEMINI_API_BASE``, set by
the fixture), but its ``/vertex_ai`` pass-through always forwards to Google's host built from the location
(``VertexAIPassThroughHandler.get_default_base_target_url``): no configured credential or setting carries
an ``api_base`` for it. To run that route end to end offline, this launcher replaces exactly two
things, before the server starts, and nothing else of the route:

- the host the Vertex pass-through forwards to: the emulator (argument 1) instead of
  ``https://{location}-aiplatform.googleapis.com``;
- the Google access token the proxy mints from its Vertex credentials (an OAuth exchange with Google):
  a fixed fake token, which the emulator accepts like any bearer token.

The proxy's auth, header filtering, project/location rewriting and body relay run as shipped.
Usage: ``python litellm_launcher.py EMULATOR_URL --config FILE --host 127.0.0.1 --port N``.
"""

from __future__ import annotations

import sys

PROXY_GOOGLE_TOKEN = "proxy-held-google-token"


def main() -> None:
    emulator_url = sys.argv.pop(1).rstrip("/") + "/"
    from litellm.llms.vertex_ai.vertex_llm_base import VertexBase
    from litellm.proxy.pass_through_endpoints import llm_passthrough_endpoints as routes

    routes.VertexAIPassThroughHandler.get_default_base_target_url = staticmethod(lambda location: emulator_url)

    async def fake_token(self, credentials, project_id, custom_llm_provider):
        return PROXY_GOOGLE_TOKEN, project_id or "proxy-project"

    VertexBase.ensure_access_token_async = fake_token
    from litellm.proxy.proxy_cli import run_server

    sys.argv[0] = "litellm"
    run_server()


if __name__ == "__main__":
    main()
