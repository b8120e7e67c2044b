"""Settings: which backend, project, location and credentials; defaults in one place.

Resolution order for every field: explicit argument > ``configure()`` / ``%config`` > environment >
ADC's project > default. ``Settings.sources`` records where each value came from, for
``%vertex_image config``. The resolution functions are below the dataclass.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

from .errors import CHOOSE_OUTPUT_DIR, ConfigError, InvalidRequest
from .models import resolve_model
from .pricing import check_overrides

BACKENDS = ("vertex", "gemini-api", "emulator", "litellm", "openai")
DIALECTS = ("vertex", "gemini-api")
GATEWAYS = ("litellm", "openai")  # backends that reach Google through a gateway holding Google's credentials
GATEWAY_PROJECT = "gateway-project"  # Vertex URLs need a project; the proxy's own Vertex settings replace it

# Google's recommended image model on both surfaces (lineup.RECOMMENDED); every Imagen model is shut down.
DEFAULT_IMAGEN_MODEL = "gemini-nano-banana-2.1"  # the model of %imagen (the name is kept for old configs)
DEFAULT_GEMINI_MODEL = "gemini-nano-banana-2.1"
RETIRED_MODELS = ("refuse", "migrate", "send")
REPLAY_MODES = ("off", "auto", "only")  # "on" is taken as "auto"
DURABILITY_MODES = ("process", "fsync")  # how far a save is on disk when it returns (``results.store``)
DEFAULT_IMAGEN_LOCATION = "us-central1"  # Imagen is regional-only (WIRE.md §1.1)
DEFAULT_GEMINI_LOCATION = "global"
DEFAULT_VERTEX_API_VERSION = "v1"  # the version of Google's REST reference and samples
DEFAULT_GEMINI_API_VERSION = "v1beta"  # ai.google.dev samples; image options live there


class Secret(str):
    """A string that never shows itself in ``repr`` or ``str`` formatting of containers.

    ``str(secret)`` still gives the value (it has to reach a header); ``repr`` gives ``'***'``.
    """

    def __repr__(self) -> str:
        return "Secret('***')"


# How far the default concurrency (max_concurrency not set by the user) may grow while no 429 comes.
ADAPTIVE_CEILING = 32


@dataclass(frozen=True)
class Settings:
    """The effective configuration of one client.

    Attributes:
        backend: ``vertex``, ``gemini-api``, ``emulator``, or a gateway: ``litellm`` (a LiteLLM proxy's
            pass-through routes, Google's own wire format) or ``openai`` (a gateway's OpenAI-shaped routes).
        project: the Google Cloud project ("" in express mode and on the Gemini API).
        location: the location set by the user; "" means the per-family default
            (``global`` for Gemini image models, ``us-central1`` for Imagen).
        api_key: an API key (Gemini API, or Vertex express mode); never shown.
        credentials_file: a service-account JSON file to use instead of ADC.
        base_url: a base URL override (proxy, private endpoint, emulator); "" for Google's hosts.
            It belongs to the backend it was given with (``merge_configured``); on the emulator
            backend "" means the in-process emulator, started on the first request.
        api_version: "" for the backend's default (``v1`` on Vertex, ``v1beta`` on the Gemini API).
        emulator_mode: which API the emulator backend speaks: ``vertex`` or ``gemini-api``.
        gateway_key: the gateway's own key (a LiteLLM virtual or master key); never shown, never sent
            anywhere but in the gateway's auth header.
        gateway_dialect: which Google API goes through the ``litellm`` backend: ``gemini-api`` (the proxy's
            ``/gemini`` route) or ``vertex`` (its ``/vertex_ai`` route).
        output_dir: where images are saved.
        preview_size: longest side of inline previews in pixels; 0 shows full size.
        default_imagen_model, default_gemini_model: used when no model is named (``%imagen`` and the one-shot
            API use the first, sessions the second).
        retired_models: a shut-down model is ``refuse``d before sending (default), ``migrate``d to its
            replacement with a notice, or ``send``-t anyway (a private endpoint that still serves it).
        max_concurrency: requests in flight at once per client. Not set: starts at 8, grows by one per success
            (up to 32) until the first 429, then halves on a 429 and grows back; set: a hard cap (a small quota).
        max_attempts: attempts per request, the first included.
        deadline_s: total time for one request with its retries.
        timeout_s: time for one HTTP attempt.
        budget_usd: the most this kernel may spend (USD, estimates included); a call whose estimate would
            cross what is left is refused before anything is sent. ``None``: no budget.
        prices: the user's own rates by model id (``{model: {"image_output_per_m": 24.0, ...}}``), over the
            catalog's (a negotiated rate); see ``pricing.PRICE_KEYS``.
        replay: answer a request from the answer saved for the same request (``core.replay``): ``off``
            (default), ``auto`` (requests with a seed and session turns; a seedless one-shot call is sent, as
            asking again usually wants a new picture), ``only`` (every request; one never recorded is refused,
            nothing is ever sent). ``on`` means ``auto``.
        durability: how a saved image reaches the disk: ``process`` (default: written and renamed into place,
            then listed, without waiting for the disk; safe when the kernel is killed or crashes, fsynced in the
            background within a second) or ``fsync`` (everything fsynced before the call returns: also safe
            against a power loss, about 4 ms per fsync).
        sources: for each field set by something other than the default, where it came from:
            ``argument``, ``configure``, ``environment (NAME)``, ``adc``.
    """

    backend: str = "vertex"
    project: str = ""
    location: str = ""
    api_key: Secret | None = field(default=None, repr=False)
    credentials_file: str = ""
    base_url: str = ""
    api_version: str = ""
    emulator_mode: str = "vertex"
    gateway_key: Secret | None = field(default=None, repr=False)
    gateway_dialect: str = "gemini-api"
    output_dir: str = "vertex_images"
    preview_size: int = 768
    default_imagen_model: str = DEFAULT_IMAGEN_MODEL
    default_gemini_model: str = DEFAULT_GEMINI_MODEL
    retired_models: str = "refuse"
    max_concurrency: int = 8
    max_attempts: int = 5
    deadline_s: float = 300.0
    timeout_s: float = 120.0
    budget_usd: float | None = None
    prices: dict[str, dict[str, Any]] | None = field(default=None, compare=False)
    replay: str = "off"
    durability: str = "process"
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def adaptive_ceiling(self) -> int | None:
        """How far requests in flight may grow from ``max_concurrency`` while no 429 comes; None when the user set
        ``max_concurrency`` (anywhere: then it is a hard cap)."""
        return None if "max_concurrency" in self.sources else ADAPTIVE_CEILING

    @property
    def speaks(self) -> str:
        """The wire dialect in use: ``vertex`` or ``gemini-api`` (the emulator and a LiteLLM proxy speak either;
        an OpenAI-shaped gateway forwards to the Gemini API's models)."""
        if self.backend == "emulator":
            return self.emulator_mode
        if self.backend == "litellm":
            return self.gateway_dialect
        return "gemini-api" if self.backend == "openai" else self.backend

    @property
    def gateway(self) -> bool:
        """True when requests go through a gateway (``litellm`` or ``openai``) that holds Google's credentials."""
        return self.backend in GATEWAYS

    @property
    def express_mode(self) -> bool:
        """Vertex with an API key and no project: URLs without ``projects/…/locations/…``."""
        return self.speaks == "vertex" and self.api_key is not None and not self.project

    def location_for(self, family: str) -> str:
        """The location a request for a model of this family goes to.

        Express mode without a location uses the global host for every family, as google-genai does.
        """
        if self.location:
            return self.location
        if self.express_mode:
            return DEFAULT_GEMINI_LOCATION
        return DEFAULT_GEMINI_LOCATION if family == "gemini" else DEFAULT_IMAGEN_LOCATION

    def version(self) -> str:
        """The API version segment of URLs."""
        if self.api_version:
            return self.api_version
        return DEFAULT_GEMINI_API_VERSION if self.speaks == "gemini-api" else DEFAULT_VERTEX_API_VERSION


# --- resolution -------------------------------------------------------------------------------

SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Settings) if f.name != "sources")

EMULATOR_PROJECT = "vertex-image-emulator"  # the emulator serves any project; URLs need one

_BACKEND_ALIASES = {
    "vertex": "vertex",
    "vertexai": "vertex",
    "vertex-ai": "vertex",
    "vertex_ai": "vertex",
    "gemini-api": "gemini-api",
    "gemini_api": "gemini-api",
    "gemini": "gemini-api",
    "genai": "gemini-api",
    "emulator": "emulator",
    "litellm": "litellm",
    "litellm-proxy": "litellm",
    "litellm_proxy": "litellm",
    "openai": "openai",
    "openai-compatible": "openai",
}
_PROJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:_-]*$")  # also domain-scoped ids (example.com:proj)
_LOCATION_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# Ranks of the layers: a higher rank wins (explicit argument > configure()/%config > environment).
_ARGUMENT, _CONFIGURE, _ENVIRONMENT = 3, 2, 1


class _Pick(NamedTuple):
    """One candidate value and where it came from."""

    value: Any
    origin: str  # what Settings.sources records
    rank: int


def resolve_settings(
    explicit: Mapping[str, Any] | None = None,
    configured: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The effective settings from arguments, ``configure()`` and the environment (pure: no I/O).

    Precedence per field: ``explicit`` > ``configured`` > environment > default. ``None`` and ""
    mean "not set" in every layer. The environment uses google-genai's variables with their
    meanings (``GOOGLE_GENAI_USE_VERTEXAI``/``_ENTERPRISE``, ``GOOGLE_CLOUD_PROJECT``,
    ``GOOGLE_CLOUD_LOCATION``, ``GOOGLE_API_KEY`` over ``GEMINI_API_KEY``, ``GOOGLE_GENAI_API_VERSION``,
    ``GOOGLE_VERTEX_BASE_URL``/``GOOGLE_GEMINI_BASE_URL``) plus ``VERTEX_IMAGE_*``, which win over them.
    The gateways read LiteLLM's variables (``LITELLM_PROXY_URL`` or ``LITELLM_PROXY_API_BASE``,
    ``LITELLM_API_KEY`` or ``LITELLM_PROXY_API_KEY``) on ``litellm`` and OpenAI's (``OPENAI_BASE_URL``,
    ``OPENAI_API_KEY``) on ``openai``; a gateway never gets a Google API key from the environment.

    With no backend anywhere: ``vertex`` when a project (or credentials file) is known, ``gemini-api``
    when only an API key is, the one from the higher layer when both are (a tie goes to Vertex), else
    ``vertex`` (auth then explains how to log in). On Vertex an API key is used only in express mode:
    a project or credentials file from the same or a higher layer, or a location from a higher layer,
    makes the key unused; a key from a higher layer drops the lower-layer project and location.
    ADC's project is filled later by ``auth.auth_for``.

    Args:
        explicit: options passed to one call (``argument`` in ``sources``).
        configured: options set with ``configure()`` or ``%config`` (``configure``).
        environ: the environment (default ``os.environ``).

    Raises:
        InvalidRequest: an unknown option name, or a bad value in ``explicit``/``configured``.
        ConfigError: a bad value in an environment variable (the message names it).
    """
    env = os.environ if environ is None else environ
    picks: dict[str, _Pick] = {}
    for layer, origin, rank in ((explicit, "argument", _ARGUMENT), (configured, "configure", _CONFIGURE)):
        for name, value in _check_names(layer or {}, origin).items():
            if name not in picks and not _unset(value):
                picks[name] = _Pick(_coerce(name, value, origin), origin, rank)
    for name, (value, variable) in _environment(env).items():
        if name not in picks:
            picks[name] = _Pick(_coerce(name, value, variable), f"environment ({variable})", _ENVIRONMENT)
    _choose_backend(picks)
    _arbitrate_vertex_auth(picks)
    _env_base_url(picks, env)
    values = {name: pick.value for name, pick in picks.items()}
    if values.get("api_version") == "beta":  # google-genai's meaning: the dialect's beta version
        values["api_version"] = "v1beta" if _dialect(picks) == "gemini-api" else "v1beta1"
    if values["backend"] == "emulator" and _dialect(picks) == "vertex" and not values.get("project"):
        if "api_key" not in values:
            values["project"] = EMULATOR_PROJECT
    sources = {name: pick.origin for name, pick in picks.items() if pick.origin}
    return Settings(**values, sources=sources)


def _unset(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_names(layer: Mapping[str, Any], origin: str) -> Mapping[str, Any]:
    unknown = sorted(set(layer) - set(SETTING_NAMES))
    if unknown:
        raise InvalidRequest(
            f"Unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"(from {origin}); valid names: {', '.join(SETTING_NAMES)}."
        )
    return layer


def _environment(env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Raw values from the environment: field -> (value, variable). Base URLs come later."""
    found: dict[str, tuple[str, str]] = {}

    def take(name: str, *variables: str) -> None:
        for variable in variables:
            value = env.get(variable, "").strip()
            if value:
                found[name] = (value, variable)
                return

    take("backend", "VERTEX_IMAGE_BACKEND")
    if "backend" not in found:
        for variable in ("GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_GENAI_USE_VERTEXAI"):  # first one wins
            value = env.get(variable, "").strip()
            if value:  # google-genai: "true"/"1" (any case) means Vertex, anything else the Gemini API
                found["backend"] = ("vertex" if value.lower() in ("true", "1") else "gemini-api", variable)
                break
    take("project", "GOOGLE_CLOUD_PROJECT")
    take("location", "GOOGLE_CLOUD_LOCATION")
    take("api_key", "GOOGLE_API_KEY", "GEMINI_API_KEY")
    take("api_version", "VERTEX_IMAGE_API_VERSION", "GOOGLE_GENAI_API_VERSION")
    take("credentials_file", "VERTEX_IMAGE_CREDENTIALS_FILE")
    take("output_dir", "VERTEX_IMAGE_OUTPUT_DIR")
    take("preview_size", "VERTEX_IMAGE_PREVIEW_SIZE")
    take("emulator_mode", "VERTEX_IMAGE_EMULATOR_MODE")
    take("gateway_dialect", "VERTEX_IMAGE_GATEWAY_DIALECT")
    take("retired_models", "VERTEX_IMAGE_RETIRED_MODELS")
    take("budget_usd", "VERTEX_IMAGE_BUDGET_USD")
    take("replay", "VERTEX_IMAGE_REPLAY")
    take("durability", "VERTEX_IMAGE_DURABILITY")
    return found


def _dialect(picks: Mapping[str, _Pick]) -> str:
    backend = picks["backend"].value
    if backend == "emulator":
        return str(picks["emulator_mode"].value) if "emulator_mode" in picks else "vertex"
    if backend == "litellm":
        return str(picks["gateway_dialect"].value) if "gateway_dialect" in picks else "gemini-api"
    return "gemini-api" if backend == "openai" else str(backend)


def _choose_backend(picks: dict[str, _Pick]) -> None:
    """Infer the backend when none was given (see ``resolve_settings``)."""
    if "backend" in picks:
        return
    cloud = max((picks[n].rank for n in ("project", "credentials_file") if n in picks), default=0)
    key = picks["api_key"].rank if "api_key" in picks else 0
    if cloud and cloud >= key:
        what = "the project" if "project" in picks else "the credentials file"
        picks["backend"] = _Pick("vertex", f"inferred from {what}", 0)
    elif key:
        picks["backend"] = _Pick("gemini-api", "inferred from the API key", 0)
    else:
        picks["backend"] = _Pick("vertex", "", 0)


def _arbitrate_vertex_auth(picks: dict[str, _Pick]) -> None:
    """Decide between express mode (API key) and Google credentials on Vertex (google-genai's rules)."""
    if picks["backend"].value in ("emulator", *GATEWAYS) and picks.get("api_key", _Pick(None, "", 0)).rank == _ENVIRONMENT:
        del picks["api_key"]  # a real Google key from the environment is never sent to the emulator or a gateway
    if picks["backend"].value in GATEWAYS:
        return  # the gateway holds Google's credentials: an API key given here is not used
    if _dialect(picks) != "vertex" or "api_key" not in picks:
        return
    key = picks["api_key"].rank
    cloud = max((picks[n].rank for n in ("project", "credentials_file") if n in picks), default=0)
    location = picks["location"].rank if "location" in picks else 0
    if cloud >= key or location > key:
        del picks["api_key"]  # the key is not used on Vertex: Google credentials it is
        return
    for name in ("project", "credentials_file", "location"):
        if name in picks and picks[name].rank < key:
            del picks[name]  # a key from a higher layer means express mode


_GATEWAY_VARIABLES = {  # backend -> (base URL variables, key variables), first one set wins
    "litellm": (("LITELLM_PROXY_URL", "LITELLM_PROXY_API_BASE"), ("LITELLM_API_KEY", "LITELLM_PROXY_API_KEY")),
    "openai": (("OPENAI_BASE_URL",), ("OPENAI_API_KEY",)),
}


def _env_gateway(picks: dict[str, _Pick], env: Mapping[str, str]) -> None:
    """A gateway's URL and key from its own variables (read only when that gateway is the backend)."""
    backend = picks["backend"].value
    if backend not in _GATEWAY_VARIABLES:
        return
    for name, variables in zip(("base_url", "gateway_key"), _GATEWAY_VARIABLES[backend]):
        if name in picks:
            continue
        for variable in variables:
            value = env.get(variable, "").strip()
            if value:
                picks[name] = _Pick(_coerce(name, value, variable), f"environment ({variable})", _ENVIRONMENT)
                break
    if backend == "litellm" and _dialect(picks) == "vertex" and "project" not in picks:
        picks["project"] = _Pick(GATEWAY_PROJECT, "", 0)


def _env_base_url(picks: dict[str, _Pick], env: Mapping[str, str]) -> None:
    if picks["backend"].value in GATEWAYS:
        _env_gateway(picks, env)
        return
    if "base_url" in picks or picks["backend"].value == "emulator":
        return  # the emulator's URL is set when it starts; a proxy URL must never replace it
    variable = "GOOGLE_GEMINI_BASE_URL" if _dialect(picks) == "gemini-api" else "GOOGLE_VERTEX_BASE_URL"
    value = env.get(variable, "").strip()
    if value:
        picks["base_url"] = _Pick(_coerce("base_url", value, variable), f"environment ({variable})", _ENVIRONMENT)


# --- the configure() layer --------------------------------------------------------------------


def merge_configured(
    current: Mapping[str, Any], options: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ``configure()`` layer after one ``configure(**options)`` call (pure; ``None`` unsets an option).

    A base URL belongs to the backend it was given with: when the call changes the effective backend
    and gives no ``base_url`` itself, the old one is dropped. Otherwise ``use vertex`` after an
    emulator URL would send real credentials to the emulator, and ``use emulator`` after a proxy URL
    fake ones to the proxy. (The environment's base URLs apply to their own backend only; see
    ``resolve_settings``.)
    """
    merged = {name: value for name, value in {**current, **options}.items() if value is not None}
    if "base_url" in merged and "base_url" not in options:
        before = resolve_settings(configured=current, environ=environ).backend
        after = resolve_settings(configured=merged, environ=environ).backend
        if after != before:
            del merged["base_url"]
    return merged


def check_output_dir(path: str | os.PathLike[str]) -> None:
    """Refuse an output folder that a file is in the way of (a few ``stat`` calls; creates nothing).

    The folder itself is created on the first save; here only the nearest existing path counts.

    Raises:
        InvalidRequest: ``path``, or the nearest existing path above it, is not a folder.
    """
    target = Path(os.path.abspath(os.fspath(path)))
    for candidate in (target, *target.parents):
        if not os.path.exists(candidate):
            continue
        if os.path.isdir(candidate):
            return
        problem = "is a file" if candidate == target else f"cannot be created: {candidate} is a file"
        raise InvalidRequest(
            f"output_dir {os.fspath(path)!r} {problem}, not a folder. Choose a folder (it is created on the "
            f"first save): {CHOOSE_OUTPUT_DIR}."
        )


# --- values -----------------------------------------------------------------------------------


def _fail(origin: str, message: str) -> Exception:
    """A bad environment variable is a ConfigError; a bad argument an InvalidRequest (a ValueError)."""
    if origin in ("argument", "configure"):
        return InvalidRequest(message)
    return ConfigError(f"{message} (from the environment variable {origin})")


def _coerce(name: str, value: Any, origin: str) -> Any:
    """Check and normalise one value; ``origin`` is ``argument``, ``configure`` or a variable name."""
    return _COERCERS.get(name, _text)(name, value, origin)


def _text(name: str, value: Any, origin: str) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise _fail(origin, f"{name} must be a string, not {type(value).__name__}.")
    if "\0" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise _fail(origin, f"{name} {value!r} contains a NUL character or a lone surrogate; give plain text.")
    return value.strip()


def _choice(accepted: tuple[str, ...]) -> Callable[[str, Any, str], str]:
    def coerce(name: str, value: Any, origin: str) -> str:
        text = _text(name, value, origin).lower()
        normal = _BACKEND_ALIASES.get(text, text)
        if normal not in accepted:
            raise _fail(origin, f"Unknown {name} {text!r}; accepted: {', '.join(accepted)}.")
        return normal

    return coerce


def _number(kind: type, minimum: float, *, strict: bool = False) -> Callable[[str, Any, str], Any]:
    def coerce(name: str, value: Any, origin: str) -> Any:
        bound = f"greater than {minimum:g}" if strict else f"at least {minimum:g}"
        try:
            if isinstance(value, bool) or (kind is int and isinstance(value, float)):
                raise ValueError
            number = kind(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            what = "a whole number" if kind is int else "a number"
            raise _fail(origin, f"{name} must be {what} {bound}, not {value!r}.") from None
        if number < minimum or (strict and number == minimum) or number != number:
            raise _fail(origin, f"{name} must be {bound}, not {value!r}.")
        return number

    return coerce


def _api_key(name: str, value: Any, origin: str) -> Secret:
    if not isinstance(value, str):
        raise _fail(origin, f"{name} must be a string, not {type(value).__name__}.")
    return Secret(value.strip())  # the SDK strips whitespace too; a pasted key often ends in "\n"


def _pattern(regex: re.Pattern[str], hint: str, *, lower: bool = False) -> Callable[[str, Any, str], str]:
    def coerce(name: str, value: Any, origin: str) -> str:
        text = _text(name, value, origin)
        text = text.lower() if lower else text
        if not regex.match(text):
            raise _fail(origin, f"Invalid {name} {text!r}; {hint}.")
        return text

    return coerce


def _gemini_model(name: str, value: Any, origin: str) -> str:
    """A Gemini image model (id or alias): new sessions send ``generateContent`` to it."""
    text = _text(name, value, origin)
    info = resolve_model(text)
    if info.family != "gemini":
        raise _fail(
            origin,
            f"{info.id} is an Imagen model; {name} needs a Gemini image model (nano-banana, nano-banana-pro, "
            "nano-banana-2, ...). Imagen models go in default_imagen_model.",
        )
    return text


def _image_model(name: str, value: Any, origin: str) -> str:
    """Any image model (``%imagen`` takes both families); an empty name is refused by ``resolve_model``."""
    text = _text(name, value, origin)
    resolve_model(text)
    return text


def _prices(name: str, value: Any, origin: str) -> dict[str, dict[str, Any]]:
    """``prices``: the user's rates by model (names resolved to ids), checked by ``pricing.check_overrides``."""
    try:
        return check_overrides(value, resolve=lambda model: resolve_model(model).id)
    except InvalidRequest as exc:
        raise _fail(origin, exc.message) from None


def _replay(name: str, value: Any, origin: str) -> str:
    """``replay``: off, auto or only (``on`` is ``auto``)."""
    text = _text(name, value, origin).strip().lower()
    text = "auto" if text == "on" else text
    if text not in REPLAY_MODES:
        raise _fail(origin, f"Invalid replay {value!r}; choose off, auto (or on) or only.")
    return text


def _base_url(name: str, value: Any, origin: str) -> str:
    text = _text(name, value, origin)
    if not text.startswith(("http://", "https://")):
        raise _fail(origin, f"Invalid base_url {text!r}; it must start with http:// or https://.")
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port outside 0-65535 or not a number
    except ValueError as exc:
        raise _fail(origin, f"Invalid base_url {text!r}: {exc}.") from None
    if not parts.hostname:
        raise _fail(origin, f"Invalid base_url {text!r}: it names no host.")
    return text


_COERCERS: dict[str, Callable[[str, Any, str], Any]] = {
    "backend": _choice(BACKENDS),
    "emulator_mode": _choice(DIALECTS),
    "gateway_dialect": _choice(DIALECTS),
    "gateway_key": _api_key,
    "retired_models": _choice(RETIRED_MODELS),
    "api_key": _api_key,
    "project": _pattern(_PROJECT_RE, "a project id looks like 'my-project-123'"),
    "location": _pattern(_LOCATION_RE, "a location looks like 'us-central1', 'global', 'us' or 'eu'", lower=True),
    "api_version": _pattern(
        re.compile(r"^(beta|v\d+((alpha|beta)\d*)?)$"),
        "accepted: v1, v1beta1 (Vertex), v1beta (Gemini API), or 'beta' for the backend's beta",
        lower=True,
    ),
    "base_url": _base_url,
    "default_imagen_model": _image_model,
    "default_gemini_model": _gemini_model,
    "preview_size": _number(int, 0),
    "max_concurrency": _number(int, 1),
    "max_attempts": _number(int, 1),
    "deadline_s": _number(float, 0, strict=True),
    "timeout_s": _number(float, 0, strict=True),
    "budget_usd": _number(float, 0),
    "prices": _prices,
    "replay": _replay,
    "durability": _choice(DURABILITY_MODES),
}
