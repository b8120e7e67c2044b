"""What the magics show as tables: status, doctor, config, models, session history and session list.

Every view is an ``HtmlView`` (escaped HTML and an aligned ``text/plain`` table, so terminals and nbval
see the same facts). The tables are built from plain values; ``status_view``, ``config_view`` and
``use_message`` gather those values from this kernel's state (``%vertex_image status``, ``doctor``,
``config``, ``use``).

Never a key or a token: every text of the status passes through ``auth.redact`` with the secrets in
use. The doctor checks at no cost: credentials resolve and a token can be obtained (or the emulator
answers the client's ping); it sends no generation request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..base.config import Settings
from ..base.errors import CHOOSE_OUTPUT_DIR, APIError, TransportError, VertexImageError
from ..base.pricing import usd_text
from ..base.text import clip, escape
from ..client.endpoints import GEMINI_API_HOST, gateway_root, gateway_route, models_list_url, vertex_host
from ..core.registry import state
from ..results.display import HtmlView
from ..results.store import ImageStore

HISTORY_THUMB_PX = 96


@dataclass(frozen=True)
class Table:
    """A titled table; ``html_cells`` may replace a column's HTML (thumbnails), text stays in ``rows``."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    html_cells: dict[tuple[int, int], str] | None = None
    footer: str = ""

    def view(self, metadata: dict[str, Any] | None = None) -> HtmlView:
        """The table as HTML and as aligned text."""
        return HtmlView(self.html(), self.text(), metadata)

    def text(self) -> str:
        """Columns padded to their widest cell; the title on top, the footer below."""
        widths = [len(header) for header in self.headers]
        for row in self.rows:
            widths = [max(width, len(cell)) for width, cell in zip(widths, row)]
        lines = [self.title] if self.title else []
        if any(self.headers):
            lines.append("  ".join(h.ljust(w) for h, w in zip(self.headers, widths)).rstrip())
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in self.rows]
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines)

    def html(self) -> str:
        """An escaped HTML table (cells in ``html_cells`` are trusted markup built by this module)."""
        special = self.html_cells or {}
        head = "".join(f'<th style="text-align:left">{escape(h)}</th>' for h in self.headers)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td style="text-align:left;vertical-align:top">{special.get((r, c), escape(cell))}</td>'
                for c, cell in enumerate(row)
            )
            + "</tr>"
            for r, row in enumerate(self.rows)
        )
        head = f"<tr>{head}</tr>" if any(self.headers) else ""
        title = f"<strong>{escape(self.title)}</strong>" if self.title else ""
        footer = f'<div style="font-size:0.9em">{escape(self.footer)}</div>' if self.footer else ""
        return f'<div class="vertex-image-table">{title}<table>{head}{body}</table>{footer}</div>'


def key_value_view(title: str, pairs: Iterable[tuple[str, str]], footer: str = "") -> HtmlView:
    """A two-column table of settings or facts."""
    return Table(title, ("", ""), [(key, value) for key, value in pairs], footer=footer).view()


def models_view(rows: Sequence[Any], *, surface: str = "vertex", live: bool = False) -> HtmlView:
    """``vi.list_models()`` rows as a table: state today, replacement, ratios with pixel sizes, price per image."""
    table_rows = []
    for row in rows:
        state = ("live" if row.state == "live" else row.summary) if row.in_catalog else "new"
        if live:
            state += " · listed" if row.listed else " · not listed here"
        replacement = f"→ {row.replacement}" if row.replacement and row.state != "live" else ""
        ratios = " ".join(f"{ratio} {pixels}".strip() for ratio, pixels in row.ratios.items()) or "-"
        price = " ".join(f"{size} ${usd:.3f}" for size, usd in row.price_per_image.items()) or "-"
        table_rows.append((
            row.id, ", ".join(row.aliases) or "-", state,
            replacement or "-", " ".join(row.sizes) or "-", ratios,
            " ".join(t.lower() for t in row.thinking) or "-", " ".join(row.search) or "-", price,
        ))  # fmt: skip
    headers = ("model", "aliases", "state", "replacement", "sizes", "ratios (1K pixels)", "thinking", "search",
               "price per image")  # fmt: skip
    where = {"gemini-api": "the Gemini API", "vertex": "Vertex AI"}.get(surface, surface)
    footer = (
        f"State on {where} today, from vertex-image's catalog of Google's pages (dated 2026-11-30); "
        "prices are the standard ones (batch: half)."
        + (" 'listed': the service lists it for you today." if live else " --live asks the service too.")
    )
    return Table("Image models", headers, table_rows, footer=footer).view()


def config_table(rows: Sequence[tuple[str, str, str]]) -> HtmlView:
    """Effective settings with where each value came from (rows: setting, value, origin)."""
    footer = "Set with %config VertexImageMagics.<name> = ..., vi.configure(name=...) or the environment."
    return Table("Effective settings", ("setting", "value", "from"), rows, footer=footer).view()


def history_view(session: Any) -> HtmlView:
    """A compact table of a session's turns with thumbnails (text: one line per turn)."""
    rows: list[tuple[str, str, str, str]] = []
    cells: dict[tuple[int, int], str] = {}
    for number, exchange in enumerate(session.exchanges, start=1):
        images = [image for image in exchange.images if image.data]
        size = f"{images[-1].width}x{images[-1].height}" if images else "-"
        cost = exchange.cost.text if getattr(exchange, "cost", None) is not None else "-"
        rows.append((str(number), clip(exchange.prompt, 60), f"{len(exchange.images)} ({size})", cost,
                     clip(exchange.text, 40) if exchange.text else ""))  # fmt: skip
        thumbs = "".join(_thumb(image) for image in images)
        if thumbs:
            cells[(number - 1, 2)] = thumbs
    title = f"Session {session.name!r} · {session.model} · {len(rows)} turn{'' if len(rows) == 1 else 's'}"
    spent = getattr(session, "cost", None)
    if spent is not None:
        title += f" · {spent.text}"
    footer = "" if rows else "No turns yet: run a %%gemini_image cell."
    if rows:
        footer = "Each turn replays the history before it, so each costs a little more than the last."
    return Table(title, ("turn", "prompt", "images", "cost", "text"), rows, cells, footer).view()


def cost_view(report: Any) -> HtmlView:
    """``%vertex_image cost``: this kernel's spend by model, session and day, the budget, the all-time total."""
    calls = f"{report.calls} call{'s' if report.calls != 1 else ''}"
    split = f"{usd_text(report.measured)} measured (the answers' token counts), {usd_text(report.estimated)} estimated"
    rows: list[tuple[str, str, str]] = [("this kernel", usd_text(report.total), f"{calls}: {split}")]
    if report.budget is not None:
        left = max(0.0, report.remaining or 0.0)
        rows.append(("budget", usd_text(report.budget), f"{usd_text(left)} left"))
    else:
        rows.append(("budget", "(none)", "vi.configure(budget_usd=5) or %config VertexImageMagics.budget_usd = 5"))
    rows += [(f"model {name}", usd_text(usd), "") for name, usd in sorted(report.by_model.items())]
    rows += [(f"session {name}" if name else "one-shot calls", usd_text(usd), "")
             for name, usd in sorted(report.by_session.items())]  # fmt: skip
    rows += [(f"day {day}", usd_text(usd), "") for day, usd in sorted(report.by_day.items())]
    backends = ", ".join(f"{name} {usd_text(usd)}" for name, usd in sorted(report.all_time_by_backend.items()))
    since = f" since {report.all_time_since}" if report.all_time_since else ""
    rows.append(("all time", usd_text(report.all_time),
                 f"{report.all_time_calls} call{'s' if report.all_time_calls != 1 else ''}{since}"
                 + (f" ({backends})" if backends else "")))  # fmt: skip
    footer = (
        f"Prices of {report.prices_as_of} from vertex-image's catalog (or your rate: vi.configure(prices=...)); the "
        "emulator's calls are priced as if real, and not billed. 'all time' is what the image folder's index records."
    )
    return Table("What it costs (USD)", ("", "USD", ""), rows, footer=footer).view({"vertex_image": report.as_dict()})


def sessions_view(rows: Sequence[tuple[str, str, str, str]]) -> HtmlView:
    """The sessions in memory and on disk: name, model, turns, where."""
    footer = "" if rows else "No sessions yet: run a %%gemini_image cell."
    return Table("Sessions", ("session", "model", "turns", "where"), rows, footer=footer).view()


def _thumb(image: Any) -> str:
    try:
        preview = image.preview(HISTORY_THUMB_PX)
    except Exception:  # noqa: BLE001 - an unreadable image shows no thumbnail, the row stays
        return ""
    return (
        f'<img src="{preview.data_url}" width="{preview.width}" height="{preview.height}" '
        f'alt="{escape(clip(image.prompt, 60))}" style="margin-right:4px">'
    )


# the kernel's setup: status, doctor, config, use --------------------------------------------
_STATUS_HELP = (
    "For Vertex AI run `gcloud auth application-default login` and set GOOGLE_CLOUD_PROJECT; for the Gemini "
    "API set GOOGLE_API_KEY; to work offline run %vertex_image use emulator."
)


def status_view(doctor: bool) -> HtmlView:
    """Backend, project, locations, credentials, quota project, endpoint, store, default models.

    ``status`` starts nothing: no client, no emulator, no network (the emulator backend imports no
    heavy module either); ``doctor`` connects and checks (a token, or an emulator ping).
    """
    from ..client.auth import redact  # lazy: asyncio (client.auth), not at %load_ext

    kernel = state()
    settings = kernel.settings()
    secrets = [str(key) for key in (settings.api_key, settings.gateway_key) if key is not None]
    rows: list[tuple[str, str]] = [("backend", settings.backend + (
        f" (speaks {settings.speaks})" if settings.backend in ("emulator", "litellm") else ""))]  # fmt: skip
    problems: list[str] = []
    try:
        auth = kernel.auth()
        connected = kernel.connected_settings() if doctor else kernel.resolved_settings()
        secrets += [s for s in auth.secrets() if s]
        credentials = f"{auth.description}: found"
    except VertexImageError as exc:
        auth, connected, credentials = None, settings, f"not usable: {exc}"
        problems.append("credentials")
    project_source = connected.sources.get("project", "")
    writable, why = ImageStore(connected.output_dir).writable()
    folder_check = why if writable else f"no: {why}; nothing can be sent until it is fixed ({CHOOSE_OUTPUT_DIR})"
    if not writable:
        problems.append("store folder")
    rows += [
        ("project", (connected.project or "(none)") + (f" (from {project_source})" if project_source else "")),
        ("location", f"imagen: {connected.location_for('imagen')} · gemini: {connected.location_for('gemini')}"
                     + ("" if connected.location else " (per-model defaults)")),  # fmt: skip
        ("endpoint", endpoint_text(connected, kernel.emulator_url)),
        ("credentials", credentials),
        ("quota project", (getattr(auth, "quota_project", "") or "(none)") if auth else "-"),
        ("store folder", str(Path(connected.output_dir).resolve())),
        ("can save", folder_check),
        ("default models", f"%imagen: {connected.default_imagen_model} · sessions: {connected.default_gemini_model}"),
        ("api version", connected.version()),
    ]
    if connected.gateway:
        rows[1:1] = _gateway_rows(connected)
    if doctor and auth is not None:
        check = _check_token(auth, connected)
        label = {"emulator": "emulator", "litellm": "key check", "openai": "key check"}.get(connected.backend)
        rows.append((label or "token check", check))
        if not check.startswith("ok"):
            problems.append("gateway key" if connected.gateway else "token")
    help_text = _GATEWAY_HELP if settings.gateway else _STATUS_HELP
    footer = ("Problems: " + ", ".join(problems) + ". " + help_text) if problems else (
        "Everything needed is in place." if doctor else "Run %vertex_image doctor to check the credentials work.")
    view = key_value_view("vertex-image " + ("doctor" if doctor else "status"), rows, footer)
    return HtmlView(redact(view.html, secrets), redact(view.text, secrets))


def endpoint_text(settings: Settings, emulator_url: str = "") -> str:
    """Where requests go: the base URL, the in-process emulator, or Google's host for each model family.

    ``emulator_url`` is the in-process emulator's URL when it runs ("" before the first request).
    """
    if settings.gateway:
        try:
            return f"{gateway_root(settings)}{gateway_route(settings)}"
        except VertexImageError:
            return "(no gateway URL set)"
    if settings.backend == "emulator":
        if settings.base_url and settings.base_url != emulator_url:
            return settings.base_url
        if emulator_url:
            return f"{emulator_url} (in-process emulator)"
        return "in-process emulator, started on the first request"
    if settings.base_url:
        return f"{settings.base_url} (base_url)"
    if settings.speaks == "gemini-api":
        return GEMINI_API_HOST
    imagen, gemini = (vertex_host(settings.location_for(family)) for family in ("imagen", "gemini"))
    return imagen if imagen == gemini else f"{imagen} (Imagen), {gemini} (Gemini)"


def use_message(settings: Settings, emulator_url: str = "") -> str:
    """What ``%vertex_image use BACKEND`` prints: the backend and where requests will go."""
    where = {"emulator": "the offline emulator (deterministic images, no cost)",
             "vertex": "Vertex AI", "gemini-api": "the Gemini API",
             "litellm": f"a LiteLLM proxy's {_DIALECT_NAMES[settings.speaks]} pass-through (Google's wire format)",
             "openai": "an OpenAI-compatible gateway (one-shot images and simple chats; no thought signatures)",
             }[settings.backend]  # fmt: skip
    endpoint = endpoint_text(settings, emulator_url)
    if settings.backend == "emulator" and not endpoint.startswith(("http://", "https://")):
        return f"Backend: emulator — requests go to {where}, started in this kernel on the first request."
    return f"Backend: {settings.backend} — requests go to {where} at {endpoint}."


_GATEWAY_HELP = (
    "Check the gateway's URL and key: LITELLM_PROXY_URL / LITELLM_API_KEY (OPENAI_BASE_URL / OPENAI_API_KEY on the "
    "openai backend), or vi.configure(base_url=..., gateway_key=...)."
)
_DIALECT_NAMES = {"gemini-api": "Gemini API", "vertex": "Vertex AI"}


def _gateway_rows(settings: Settings) -> list[tuple[str, str]]:
    """Which gateway, which route, whether a key is set (never the key)."""
    kind = {"litellm": "LiteLLM proxy", "openai": "OpenAI-compatible gateway"}[settings.backend]
    try:
        root = gateway_root(settings)
    except VertexImageError:
        root = "(no URL: set LITELLM_PROXY_URL or vi.configure(base_url=...))"
    route = gateway_route(settings)
    if settings.backend == "litellm":
        route += f" (pass-through to the {_DIALECT_NAMES[settings.speaks]}, Google's wire format)"
    else:
        route += "/images/generations, /v1/images/edits, /v1/chat/completions (OpenAI shapes)"
    origin = settings.sources.get("gateway_key", "")
    key = f"set (hidden), from {origin}" if settings.gateway_key is not None else "not set"
    return [("gateway", f"{kind} at {root}"), ("route", route), ("gateway key", key)]


def _check_gateway(auth: Any, settings: Settings) -> str:
    """One free GET through the route in use (the model listing): does the gateway take the key?"""
    kernel = state()
    url = models_list_url(settings, page_size=1)
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
    try:
        kernel.runtime().run(kernel.client().get_json(url))
    except APIError as exc:
        if exc.code in (401, 403) or "no connected db" in exc.message.lower():
            # a LiteLLM proxy without a database answers 400 "No connected db" for a key it does not know
            return f"failed: the gateway refused the key (HTTP {exc.code}): {exc.message.split(' (')[0]}"
        return f"failed: GET /{path} answered HTTP {exc.code}: {exc.message}"
    key = "the key" if getattr(auth, "has_key", False) else "a request without a key"
    return f"ok: the gateway accepted {key} (GET /{path} answered)"


def _check_token(auth: Any, settings: Any) -> str:
    """No cost: obtain the auth headers (a token refresh for ADC); ping the emulator; list through a gateway."""
    from ..client.auth import redact  # lazy: asyncio (client.auth), not at %load_ext

    try:
        if settings.backend == "emulator":
            return _ping(settings.base_url)
        if settings.gateway:
            return redact(_check_gateway(auth, settings), auth.secrets())
        headers = state().runtime().run(auth.headers())
        if any(name.lower() == "authorization" for name in headers):
            return "ok: an access token was obtained"
        return "ok: an API key is set (it is checked by the first request)"
    except Exception as exc:  # noqa: BLE001 - the doctor reports every failure as a finding
        return "failed: " + redact(str(exc) or type(exc).__name__, auth.secrets())


def _ping(base_url: str) -> str:
    """Is the emulator answering? Any HTTP status counts as up (the client makes the request)."""
    kernel = state()
    try:
        status = kernel.runtime().run(kernel.client().ping())
    except TransportError as exc:
        return f"failed: {base_url} does not answer ({type(exc.__cause__).__name__})"
    return f"ok: {base_url} answers (HTTP {status})"


def config_view(show_progress: str) -> HtmlView:
    """Every effective setting and where it came from (``Settings.sources``); the API key only as set/unset."""
    settings = state().settings()
    rows = []
    for field in fields(Settings):
        if field.name == "sources":
            continue
        value = getattr(settings, field.name)
        if field.name in ("api_key", "gateway_key"):
            shown = "set (hidden)" if value is not None else "(not set)"
        elif value in ("", None):
            shown = "(per model)" if field.name == "location" else "(not set)"
        else:
            shown = str(value)
        origin = settings.sources.get(field.name, "default")
        if field.name == "max_concurrency" and settings.adaptive_ceiling:  # set, it is a cap; unset, a start
            shown = f"{value} at first, growing to {settings.adaptive_ceiling} while no 429 comes (halved on one)"
        if origin == "default" and settings.backend == "emulator" and field.name in ("base_url", "project"):
            origin = "emulator"
        rows.append((field.name, shown, origin))
    rows.append(("show_progress", show_progress, "%config VertexImageMagics.show_progress"))
    return config_table(rows)
