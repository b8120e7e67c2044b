"""Credentials: request headers for an API key, Google credentials (ADC, a key file) or the emulator.

``auth_for(settings)`` picks the kind (see its docstring) and fills the project from ADC. Google
credentials are refreshed off the event loop through ``HttpxAuthRequest`` (``authtransport``:
google-auth's transport interface over a sync ``httpx.Client``, so no ``requests``), once for all
concurrent requests, and only when google-auth says the token is missing or about to expire.

Re-login without a kernel restart: a ``GoogleCredentialsAuth`` built from ADC or a key file watches
that file (``GOOGLE_APPLICATION_CREDENTIALS`` or gcloud's ``application_default_credentials.json``).
When its modification time changes (``gcloud auth application-default login`` rewrites it), the next
request loads the new credentials. ``configure()`` also rebuilds the auth from scratch.

No module here imports google.auth or httpx at import time: both load on first use.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import quote, quote_plus

from ..base.config import Settings
from ..base.errors import AuthError, ConfigError, TransportError
from .authtransport import HttpxAuthRequest, HttpxAuthResponse
from .endpoints import gateway_root, gateway_route

log = logging.getLogger(__name__)

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
EMULATOR_TOKEN = "emulator-token"  # fake credentials: the emulator accepts any
EMULATOR_API_KEY = "emulator-key"
ADC_FILENAME = "application_default_credentials.json"

_GO_OFFLINE = 'To work offline, call vi.configure(backend="emulator") or run %vertex_image use emulator.'
_RELOGIN = "Run `gcloud auth application-default login` (in a cell: `!gcloud auth application-default login`)"

AdcLoader = Callable[..., "tuple[Any, str | None]"]


class Auth(Protocol):
    """What the client needs from credentials: headers per request and a second chance after a 401."""

    @property
    def description(self) -> str:
        """Where the credentials come from, e.g. ``ADC (authorized_user)``; never a secret."""
        ...

    @property
    def quota_project(self) -> str:
        """The project billed for quota (``x-goog-user-project``), "" if none."""
        ...

    async def headers(self) -> dict[str, str]:
        """Headers that authenticate one request (refreshing a token first if needed)."""
        ...

    async def refresh_after_401(self) -> bool:
        """Force one refresh after a 401; True when retrying the request makes sense."""
        ...

    def secrets(self) -> list[str]:
        """Values to redact from any text shown or logged (the key, the current token)."""
        ...


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret of 6 characters or more replaced by ``***``, and whatever looks like one too.

    Each known value is also found URL-encoded and JSON-escaped (a token endpoint that echoes its form body
    quotes it), and values that look secret whoever they belong to (``client_secret=...``, a PEM block, a
    JWT, Google's token and key shapes) are replaced even when we do not know them.
    Shorter strings are left alone: replacing them would mangle ordinary words and they are no key.
    """
    variants: set[str] = set()
    for secret in {str(s) for s in secrets if s and len(str(s)) >= 6}:
        variants.update({secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]})
    for variant in sorted(variants, key=len, reverse=True):
        text = text.replace(variant, "***")
    for pattern, replacement in _SECRET_SHAPES:
        text = pattern.sub(replacement, text)
    return text


_SECRET_NAMES = (
    "client_secret|refresh_token|access_token|id_token|assertion|private_key|api_key|apikey|x-goog-api-key"
    "|password|subject_token"
)
_SECRET_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN[^-]{0,40}-----.*?(-----END[^-]{0,40}-----|$)", re.DOTALL), "***"),
    (re.compile(rf"(?i)\b({_SECRET_NAMES})(\\?[\"']?\s*[:=]\s*\\?[\"']?)[^\"'&\s,;}}\\()<>]{{6,}}"), r"\1\2***"),
    (re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"), "***"),  # a JWT (a signed assertion, an id token)
    (re.compile(r"\bya29\.[\w.-]+"), "***"),  # a Google access token
    (re.compile(r"\b1//[\w-]{10,}"), "***"),  # a Google refresh token
    (re.compile(r"\bGOCSPX-[\w-]+"), "***"),  # an OAuth client secret
    (re.compile(r"\bAIza[\w-]{30,}"), "***"),  # a Google API key
)


# --- simple kinds -----------------------------------------------------------------------------


class ApiKeyAuth:
    """An API key in ``x-goog-api-key`` (the Gemini API, and Vertex express mode).

    The header, not ``?key=``, keeps the key out of URLs, which end up in logs and error messages.
    """

    def __init__(self, key: str, *, description: str = "API key") -> None:
        self._key = str(key).strip()
        if not self._key:
            raise ConfigError("The API key is empty. Set GOOGLE_API_KEY or call vi.configure(api_key=...).")
        self.description = description
        self.quota_project = ""

    async def headers(self) -> dict[str, str]:
        """The key header."""
        return {"x-goog-api-key": self._key}

    async def refresh_after_401(self) -> bool:
        """A key cannot be refreshed: retrying would fail the same way."""
        return False

    def secrets(self) -> list[str]:
        """The key."""
        return [self._key]

    def __repr__(self) -> str:
        return f"ApiKeyAuth(description={self.description!r})"


class StaticTokenAuth:
    """Fixed fake credentials for the emulator: a bearer token, or a key in Gemini API mode."""

    def __init__(
        self, token: str = EMULATOR_TOKEN, *, api_key: str = "", description: str = "emulator (fake token)"
    ) -> None:
        self._token = token
        self._api_key = api_key.strip()
        self.description = description
        self.quota_project = ""

    async def headers(self) -> dict[str, str]:
        """The key header when a key is set, else the bearer token."""
        if self._api_key:
            return {"x-goog-api-key": self._api_key}
        return {"Authorization": f"Bearer {self._token}"}

    async def refresh_after_401(self) -> bool:
        """Static credentials do not change."""
        return False

    def secrets(self) -> list[str]:
        """The token or key (fake, but redacted like real ones)."""
        return [s for s in (self._token, self._api_key) if s]

    def __repr__(self) -> str:
        return f"StaticTokenAuth(description={self.description!r})"


class GatewayKeyAuth:
    """A gateway's own key (a LiteLLM virtual or master key); the gateway holds Google's credentials.

    The header depends on the route, as LiteLLM 1.108 reads it: its ``/gemini`` pass-through takes the
    caller's key only from ``x-goog-api-key`` (or ``?key=``, which we never use: URLs reach logs), its
    ``/vertex_ai`` pass-through and the OpenAI routes from ``x-litellm-api-key`` / ``Authorization: Bearer``.
    The key goes in that header and nowhere else (not in bodies, URLs, messages or metadata).

    Args:
        key: the gateway key; "" for a gateway that asks for none (a LiteLLM proxy without a master key).
        route: ``gemini`` (the ``/gemini`` pass-through), ``vertex_ai`` or ``openai``.
        description: where the key came from, for ``%vertex_image doctor``.
    """

    def __init__(self, key: str, *, route: str, description: str = "gateway key") -> None:
        self._key = str(key or "").strip()
        self._route = route
        self.description = description
        self.quota_project = ""

    @property
    def has_key(self) -> bool:
        """True when a key is set."""
        return bool(self._key)

    async def headers(self) -> dict[str, str]:
        """The gateway's auth header for this route (none without a key)."""
        if not self._key:
            return {}
        if self._route == "gemini":
            return {"x-goog-api-key": self._key}
        if self._route == "vertex_ai":
            return {"x-litellm-api-key": self._key}
        return {"Authorization": f"Bearer {self._key}"}

    async def refresh_after_401(self) -> bool:
        """A gateway key cannot be refreshed."""
        return False

    def secrets(self) -> list[str]:
        """The key."""
        return [self._key] if self._key else []

    def __repr__(self) -> str:
        return f"GatewayKeyAuth(route={self._route!r}, description={self.description!r})"


# --- Google credentials ---------------------------------------------------------------------------


class GoogleCredentialsAuth:
    """A google-auth credentials object: ``Authorization: Bearer`` plus ``x-goog-user-project``.

    The token is cached until google-auth says ``credentials.expired`` (3 min 45 s before expiry) or
    there is none; then one refresh runs in a worker thread while concurrent requests wait for it.

    Args:
        credentials: a ``google.auth.credentials.Credentials`` (anything with ``token``, ``expired``,
            ``refresh(request)`` and optionally ``quota_project_id``).
        description: where they came from, for ``%vertex_image doctor``.
        request: the google-auth transport for refreshes (default: an ``HttpxAuthRequest``).
        reload: builds fresh credentials; called when ``watch`` changes (a re-login).
        watch: the file the credentials were loaded from ("" to watch nothing).
    """

    def __init__(
        self,
        credentials: Any,
        *,
        description: str = "Google credentials",
        request: Callable[..., Any] | None = None,
        reload: Callable[[], Any] | None = None,
        watch: str = "",
    ) -> None:
        self._credentials = credentials
        self.description = description
        self._request = request
        self._reload = reload
        self._watch = watch
        self._watched = _mtime(watch)
        self._generation = 0  # bumped by every refresh or reload
        self._thread_lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def credentials(self) -> Any:
        """The credentials in use (replaced after a re-login)."""
        return self._credentials

    @property
    def quota_project(self) -> str:
        """``credentials.quota_project_id`` (from the ADC file or ``GOOGLE_CLOUD_QUOTA_PROJECT``)."""
        return str(getattr(self._credentials, "quota_project_id", None) or "")

    async def headers(self) -> dict[str, str]:
        """Bearer token headers, refreshing first if the token is missing or expiring."""
        await self._reload_if_changed()
        if _stale(self._credentials):
            async with self._lock():
                if _stale(self._credentials):  # unless a concurrent request refreshed it meanwhile
                    await asyncio.to_thread(self._refresh)
        headers = {"Authorization": f"Bearer {self._credentials.token}"}
        if self.quota_project:
            headers["x-goog-user-project"] = self.quota_project
        return headers

    async def refresh_after_401(self) -> bool:
        """Refresh once (or load a re-login); concurrent callers share one refresh."""
        generation = self._generation
        if await self._reload_if_changed():
            return True
        async with self._lock():
            if self._generation == generation:
                await asyncio.to_thread(self._refresh)
        return True

    def secrets(self) -> list[str]:
        """The current access token and what refreshes it (refresh token, client secret), as far as known."""
        return credential_secrets(self._credentials)

    def close(self) -> None:
        """Close the refresh transport if this object created it."""
        if isinstance(self._request, HttpxAuthRequest):
            self._request.close()

    def __repr__(self) -> str:
        return f"GoogleCredentialsAuth(description={self.description!r})"

    def _lock(self) -> asyncio.Lock:
        # One asyncio.Lock per event loop: a lock is bound to the loop that first waits on it.
        loop = asyncio.get_running_loop()
        lock = self._loop_locks.get(loop)
        if lock is None:
            lock = self._loop_locks[loop] = asyncio.Lock()
        return lock

    def _refresh(self) -> None:
        """Refresh in the calling (worker) thread; errors become our typed errors."""
        from google.auth import exceptions  # lazy: google.auth, loaded with the first credentials

        with self._thread_lock:
            if self._request is None:
                self._request = HttpxAuthRequest()
            log.debug("refreshing credentials (%s)", self.description)
            try:
                self._credentials.refresh(self._request)
            except exceptions.RefreshError as exc:
                raise _refresh_failed(exc, self.description, self.secrets()) from None
            except exceptions.TransportError as exc:
                raise TransportError(
                    f"Could not reach Google's token endpoint to refresh the credentials ({self.description}): "
                    f"{redact(str(exc), self.secrets())}. Check the network and try again."
                ) from None
            self._generation += 1

    async def _reload_if_changed(self) -> bool:
        """Load new credentials when the watched file changed (a re-login); True if reloaded."""
        if self._reload is None or not self._watch:
            return False
        mtime = _mtime(self._watch)
        if mtime == self._watched:
            return False
        async with self._lock():
            if _mtime(self._watch) == self._watched:
                return False  # another request reloaded meanwhile
            return await asyncio.to_thread(self._reload_now)

    def _reload_now(self) -> bool:
        with self._thread_lock:
            self._watched = _mtime(self._watch)
            try:
                credentials = self._reload()  # type: ignore[misc]
            except Exception as exc:  # noqa: BLE001 - a half-written file: keep the old credentials
                log.debug("reloading credentials from %s failed: %s", self._watch, type(exc).__name__)
                return False
            log.debug("credentials file %s changed; using the new credentials", self._watch)
            self._credentials = credentials
            self._generation += 1
            return True


def credential_secrets(credentials: Any) -> list[str]:
    """Every secret value a google-auth credentials object holds that an error text could quote."""
    found = []
    for name in ("token", "refresh_token", "client_secret", "id_token", "_refresh_token", "_client_secret"):
        value = getattr(credentials, name, None)
        if isinstance(value, str) and value and value not in found:
            found.append(value)
    return found


def _stale(credentials: Any) -> bool:
    """google-auth's rule (as in google-genai): refresh when there is no token or it is expiring."""
    return not getattr(credentials, "token", None) or bool(getattr(credentials, "expired", False))


def _mtime(path: str) -> int | None:
    if not path:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _refresh_failed(exc: Exception, description: str, secrets: Sequence[str]) -> AuthError:
    """An AuthError saying what to do about a failed refresh (``invalid_grant``, ``invalid_rapt``...)."""
    reason, detail = "", str(exc.args[0]) if exc.args else type(exc).__name__
    if len(exc.args) > 1 and isinstance(exc.args[1], Mapping):
        reason = str(exc.args[1].get("error", ""))
    elif ":" in detail:
        reason = detail.split(":", 1)[0].strip()
    detail, reason = redact(detail, secrets)[:300], redact(reason, secrets)[:80]
    if "service account" in description:
        fix = (
            "The service-account key may have been deleted or disabled: create a new key file and point "
            "VERTEX_IMAGE_CREDENTIALS_FILE (or vi.configure(credentials_file=...)) at it."
        )
    else:
        fix = (
            f"The login expired or was revoked. {_RELOGIN}; the next request uses the new login, "
            "no kernel restart needed."
        )
    return AuthError(f"Could not refresh the Google credentials ({description}): {detail}. {fix}", reason=reason)


# --- choosing the kind -------------------------------------------------------------------------


def google_auth_default(*, scopes: Sequence[str]) -> tuple[Any, str | None]:
    """``google.auth.default`` (imported on first use): ADC credentials and their project."""
    import google.auth  # lazy: google.auth, loaded with the first credentials

    credentials, project = google.auth.default(scopes=list(scopes))
    return credentials, project


def auth_for(
    settings: Settings,
    *,
    credentials: Any = None,
    environ: Mapping[str, str] | None = None,
    adc: AdcLoader = google_auth_default,
) -> tuple[Auth, Settings]:
    """The credentials for these settings, and the settings with the project filled in.

    - ``emulator``: fake credentials (a bearer token; a key in Gemini API mode or if one was set).
    - ``gemini-api``: the API key, or a ConfigError saying how to set one.
    - ``vertex``: ``credentials`` if given; else the service-account ``credentials_file``; else the
      API key when there is no project (express mode); else ADC (``google.auth.default`` with the
      cloud-platform scope), whose project fills a missing one (``sources["project"] = "adc"``).

    Args:
        settings: resolved settings (``config.resolve_settings``).
        credentials: a google-auth credentials object to use on Vertex.
        environ: the environment, to find the ADC file to watch (default ``os.environ``).
        adc: the ADC loader, ``adc(scopes=[...]) -> (credentials, project)``; tests pass a fake.

    Raises:
        ConfigError: no usable credentials, with how to log in, set a key, or go offline.
    """
    env = os.environ if environ is None else environ
    key_origin = settings.sources.get("api_key", "")
    if credentials is not None and settings.api_key is not None and key_origin in ("argument", "configure"):
        raise ConfigError(
            "Both Google credentials and an API key were given; pass one: credentials for Vertex AI with "
            "a project, or an API key (Gemini API, or Vertex express mode)."
        )
    if settings.backend == "emulator":
        return _emulator_auth(settings), settings
    if settings.gateway:
        return _gateway_auth(settings), settings
    if settings.speaks == "gemini-api":
        if settings.api_key is None:
            raise ConfigError(
                "No API key for the Gemini API. Set GOOGLE_API_KEY or GEMINI_API_KEY, or call "
                "vi.configure(api_key=...). To use Vertex AI instead, set GOOGLE_CLOUD_PROJECT. " + _GO_OFFLINE
            )
        return ApiKeyAuth(settings.api_key, description=_key_description(key_origin)), settings
    if credentials is not None:
        auth = GoogleCredentialsAuth(credentials, description=f"credentials object ({_kind(credentials)})")
        return auth, _with_project(settings, getattr(credentials, "project_id", None), "credentials")
    if settings.credentials_file:
        return _file_auth(settings)
    if settings.api_key is not None and not settings.project:
        description = _key_description(key_origin) + " (Vertex express mode)"
        return ApiKeyAuth(settings.api_key, description=description), settings
    return _adc_auth(settings, env, adc)


def _emulator_auth(settings: Settings) -> Auth:
    if settings.api_key is not None:
        return StaticTokenAuth(api_key=settings.api_key, description="emulator (API key set for it)")
    if settings.speaks == "gemini-api":
        return StaticTokenAuth(api_key=EMULATOR_API_KEY, description="emulator (fake API key)")
    return StaticTokenAuth(description="emulator (fake token)")


def _gateway_auth(settings: Settings) -> Auth:
    """The gateway's key; the gateway's URL is checked here too, so a missing one is said before sending."""
    gateway_root(settings)  # raises the ConfigError saying how to set the URL
    route = "openai" if settings.backend == "openai" else ("gemini" if settings.speaks == "gemini-api" else "vertex_ai")
    origin = settings.sources.get("gateway_key", "")
    if settings.gateway_key is None:
        return GatewayKeyAuth("", route=route, description="no gateway key (the gateway must accept that)")
    where = _key_description(origin).replace("API key", "gateway key")
    return GatewayKeyAuth(settings.gateway_key, route=route, description=where)


def _key_description(origin: str) -> str:
    if origin.startswith("environment (") and origin.endswith(")"):
        return f"API key from {origin[len('environment ('):-1]}"
    return {"argument": "API key passed as an argument", "configure": "API key from configure()"}.get(
        origin, "API key"
    )


def _with_project(settings: Settings, project: Any, origin: str) -> Settings:
    """Fill a missing project; a project is required for Vertex URLs outside express mode."""
    if settings.project:
        return settings
    if not project:
        raise ConfigError(
            "No Google Cloud project for Vertex AI. Set GOOGLE_CLOUD_PROJECT, call "
            "vi.configure(project='my-project'), or run `gcloud config set project my-project` and "
            f"`gcloud auth application-default set-quota-project my-project`. {_GO_OFFLINE}"
        )
    return replace(settings, project=str(project), sources={**settings.sources, "project": origin})


def _file_auth(settings: Settings) -> tuple[Auth, Settings]:
    path = os.path.expanduser(settings.credentials_file)
    credentials, project = _load_credentials_file(path)
    auth = GoogleCredentialsAuth(
        credentials,
        description=f"{_kind(credentials).replace('_', ' ')} file {path}",
        reload=lambda: _load_credentials_file(path)[0],
        watch=path,
    )
    return auth, _with_project(settings, project, "credentials file")


def _load_credentials_file(path: str) -> tuple[Any, str | None]:
    """Credentials from a key file; errors never quote the file (it holds a private key)."""
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the credentials file {path}: {exc.strerror or type(exc).__name__}. "
            "Check VERTEX_IMAGE_CREDENTIALS_FILE / vi.configure(credentials_file=...)."
        ) from None
    except ValueError:
        raise ConfigError(f"The credentials file {path} is not valid JSON; download the key again.") from None
    if not isinstance(info, dict):
        raise ConfigError(f"The credentials file {path} is not a Google credentials file.")
    kind = str(info.get("type", ""))
    try:
        if kind == "service_account":
            from google.oauth2 import service_account  # lazy: google.auth, for a key file only

            credentials = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM_SCOPE])
            return credentials, info.get("project_id")
        if kind == "authorized_user":
            from google.oauth2 import credentials as user_credentials  # lazy: google.auth, for a key file only

            loaded = user_credentials.Credentials.from_authorized_user_info(info, scopes=[CLOUD_PLATFORM_SCOPE])
            return loaded, info.get("quota_project_id")
    except ValueError as exc:  # google-auth's "missing fields ..." names fields, never values
        hint = str(exc) if "missing fields" in str(exc) else type(exc).__name__
        raise ConfigError(
            f"The credentials file {path} (type {kind!r}) could not be loaded ({hint}). "
            "Download a new key file, or use ADC (`gcloud auth application-default login`)."
        ) from None
    raise ConfigError(
        f"The credentials file {path} has type {kind or 'unknown'!r}; credentials_file takes a service-account "
        "key (or an authorized_user file). For other kinds (external_account, impersonation), point "
        "GOOGLE_APPLICATION_CREDENTIALS at the file instead: ADC loads every kind."
    )


def _adc_auth(settings: Settings, env: Mapping[str, str], adc: AdcLoader) -> tuple[Auth, Settings]:
    from google.auth import exceptions  # lazy: google.auth, loaded with the first credentials

    try:
        credentials, project = adc(scopes=[CLOUD_PLATFORM_SCOPE])
    except exceptions.DefaultCredentialsError:
        raise ConfigError(
            "No Google Cloud credentials found for Vertex AI. Either:\n"
            "  - run `gcloud auth application-default login` (in a cell: "
            "`!gcloud auth application-default login`), then call again;\n"
            "  - or set GOOGLE_CLOUD_PROJECT and point GOOGLE_APPLICATION_CREDENTIALS at a key file;\n"
            "  - or set GOOGLE_API_KEY (or GEMINI_API_KEY) to use the Gemini API;\n"
            '  - or work offline: vi.configure(backend="emulator") or %vertex_image use emulator.'
        ) from None
    explicit_file = env.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    where = ", from GOOGLE_APPLICATION_CREDENTIALS" if explicit_file else ""
    auth = GoogleCredentialsAuth(
        credentials,
        description=f"ADC ({_kind(credentials)}{where})",
        reload=lambda: adc(scopes=[CLOUD_PLATFORM_SCOPE])[0],
        watch=explicit_file or adc_file_path(env),
    )
    return auth, _with_project(settings, project, "adc")


def adc_file_path(environ: Mapping[str, str] | None = None) -> str:
    """Where ``gcloud auth application-default login`` writes the ADC file."""
    env = os.environ if environ is None else environ
    config_dir = env.get("CLOUDSDK_CONFIG", "").strip()
    if not config_dir:
        if sys.platform == "win32":
            config_dir = os.path.join(env.get("APPDATA", ""), "gcloud")
        else:
            config_dir = os.path.join(os.path.expanduser("~"), ".config", "gcloud")
    return os.path.join(config_dir, ADC_FILENAME)


_KINDS = {
    "google.oauth2.credentials": "authorized_user",
    "google.oauth2.service_account": "service_account",
    "google.auth.compute_engine.credentials": "compute_engine metadata server",
    "google.auth.impersonated_credentials": "impersonated_service_account",
    "google.auth.identity_pool": "external_account",
    "google.auth.aws": "external_account",
    "google.auth.pluggable": "external_account",
    "google.auth.external_account_authorized_user": "external_account_authorized_user",
}


def _kind(credentials: Any) -> str:
    """The ADC ``type`` of a credentials object, e.g. ``authorized_user``."""
    cls = type(credentials)
    return _KINDS.get(cls.__module__, cls.__name__)


def describe(auth: Auth, settings: Settings) -> dict[str, str]:
    """What ``%vertex_image doctor`` shows about credentials and where requests go; never a secret."""
    info = {
        "backend": settings.backend,
        "speaks": settings.speaks,
        "credentials": auth.description,
        "quota_project": auth.quota_project or "(none)",
        "project": settings.project or "(none)",
        "project_source": settings.sources.get("project", "default" if settings.project else ""),
        "location": settings.location or "(per model: global for Gemini, us-central1 for Imagen)",
        "express_mode": "yes" if settings.express_mode else "no",
    }
    account = getattr(getattr(auth, "credentials", None), "service_account_email", None)
    if isinstance(account, str) and account:
        info["account"] = account
    if settings.base_url:
        info["base_url"] = settings.base_url
    if settings.gateway:
        info["gateway"] = {"litellm": "LiteLLM proxy", "openai": "OpenAI-compatible gateway"}[settings.backend]
        info["gateway_url"] = gateway_root(settings)
        info["route"] = gateway_route(settings)
        info["express_mode"] = "no"
    return info


__all__ = [
    "ApiKeyAuth",
    "Auth",
    "GatewayKeyAuth",
    "GoogleCredentialsAuth",
    "HttpxAuthRequest",
    "HttpxAuthResponse",
    "StaticTokenAuth",
    "adc_file_path",
    "auth_for",
    "credential_secrets",
    "describe",
    "google_auth_default",
    "redact",
]
