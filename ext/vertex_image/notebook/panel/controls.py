"""The panel's controls: the widget tree, and the options that follow the chosen model.

``PanelControls`` builds every widget as a public attribute (tests and users drive them) and lays
them out in ``widget``; ``ImagePanel`` adds the behaviour. The tiles of the results grid and the
history strip are made here too. This module imports ipywidgets at the top.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ...base.models import resolve_model, served_models
from ...base.text import clip
from ...core.registry import state
from .status import status_html

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from ...base.models import ModelInfo
    from ...core.session import Exchange
    from ...results.images import GeneratedImage

ONE_SHOT = "one-shot"
CONVERSATION = "conversation"
THUMB_PX = 200
HISTORY_PX = 72
_AUTO = ""  # the dropdown value meaning "the model's default"


class PanelControls:
    """Every widget of the panel, laid out in ``widget`` (a VBox), plus the model-dependent options."""

    def __init__(self) -> None:
        self._syncing = False  # True while options are refilled: observers ignore the changes
        self.status_text = ""
        self._make_inputs()
        self._make_buttons()
        self._make_outputs()
        self._tag_for_css()
        self.widget = self._layout()
        self.widget.add_class("vi-panel")

    def _make_inputs(self) -> None:
        """The prompt, the mode, the model and its options, the session fields."""
        wide = widgets.Layout(width="auto")
        self.prompt = widgets.Textarea(
            placeholder="Describe the image, or the change to make…",
            layout=widgets.Layout(width="100%", height="4.5em"),
        )
        self.mode = widgets.ToggleButtons(
            options=[("One-shot", ONE_SHOT), ("Conversation", CONVERSATION)],
            value=ONE_SHOT,
            tooltips=["Independent images from any image model", "A multi-turn Gemini conversation"],
            style={"button_width": "110px"},
        )
        self.model = widgets.Dropdown(description="Model", layout=widgets.Layout(width="420px"))
        self.aspect_ratio = widgets.Dropdown(description="Aspect", layout=widgets.Layout(width="170px"))
        self.image_size = widgets.Dropdown(description="Size", layout=widgets.Layout(width="170px"))
        self.count = widgets.BoundedIntText(value=1, min=1, max=8, description="Count",
                                            layout=widgets.Layout(width="140px"))
        self.seed = widgets.IntText(value=0, description="Seed", disabled=True,
                                    layout=widgets.Layout(width="170px"))
        self.seed_auto = widgets.Checkbox(value=True, description="auto seed", indent=False, layout=wide)
        self.negative_prompt = widgets.Text(
            description="Avoid", placeholder="what to leave out (negative prompt)",
            layout=widgets.Layout(width="100%"),
        )
        self.session = widgets.Dropdown(description="Session", layout=widgets.Layout(width="260px"))
        self.session_name = widgets.Text(placeholder="new session name", layout=widgets.Layout(width="160px"))
        self.save_path = widgets.Text(placeholder="save to (file or folder; default: here)",
                                      layout=widgets.Layout(width="260px"))

    def _make_buttons(self) -> None:
        self.generate_button = _button("Generate", "vi-generate", "Send the prompt", "primary", "play")
        self.cancel_button = _button("Cancel", "vi-cancel", "Cancel the request in flight", "warning", "stop")
        self.refine_button = _button("Refine", "vi-refine",
                                     "Next turn of the conversation, with the selected image", "info", "pencil")
        self.undo_button = _button("Undo", "vi-undo", "Remove the session's last turn", "", "undo")
        self.new_session_button = _button("New session", "vi-new-session", "Start a new conversation", "", "plus")
        self.save_button = _button("Save selected", "vi-save", "Copy the selected image to a file", "", "save")
        self.insert_code_button = _button("Insert code", "vi-insert-code",
                                          "Put the equivalent magic into the next cell", "", "code")
        self.refresh_button = _button("Refresh", "vi-refresh", "Re-read sessions and their turns", "", "refresh")

    def _make_outputs(self) -> None:
        """The code box, the progress and status lines, the results grid and the history strip."""
        self.code = widgets.Textarea(layout=widgets.Layout(width="100%", height="4.5em", display="none"))
        self.progress = widgets.HTML(value="")
        self.status = widgets.HTML(value="")
        self.grid = widgets.Box(layout=widgets.Layout(display="flex", flex_flow="row wrap", width="100%"))
        self.history = widgets.Box(layout=widgets.Layout(display="flex", flex_flow="row nowrap",
                                                         overflow="auto", width="100%"))

    def _tag_for_css(self) -> None:
        """A CSS class on every control (the browser test and user styles find them by it)."""
        for item, css in ((self.prompt, "vi-prompt"), (self.mode, "vi-mode"), (self.model, "vi-model"),
                          (self.aspect_ratio, "vi-aspect"), (self.image_size, "vi-size"),
                          (self.count, "vi-count"), (self.seed, "vi-seed"), (self.seed_auto, "vi-seed-auto"),
                          (self.negative_prompt, "vi-negative"), (self.session, "vi-session"),
                          (self.session_name, "vi-session-name"), (self.save_path, "vi-save-path"),
                          (self.progress, "vi-progress"), (self.status, "vi-status"), (self.code, "vi-code"),
                          (self.grid, "vi-grid"),
                          (self.history, "vi-history")):
            item.add_class(css)

    def _layout(self) -> widgets.VBox:
        row = widgets.HBox
        self.session_box = row([self.session, self.refresh_button, self.session_name, self.new_session_button])
        self.history_label = widgets.HTML("<small>Session history</small>")
        return widgets.VBox(
            [
                widgets.HTML("<b>vertex-image</b>"),
                row([self.mode, self.session_box]),
                self.prompt,
                row([self.model, self.aspect_ratio, self.image_size]),
                row([self.count, self.seed, self.seed_auto]),
                self.negative_prompt,
                row([self.generate_button, self.cancel_button, self.refine_button, self.undo_button,
                     self.insert_code_button, self.save_button, self.save_path]),
                self.progress,
                self.status,
                self.code,
                self.grid,
                self.history_label,
                self.history,
            ],
            layout=widgets.Layout(width="100%"),
        )

    def _models_for_mode(self) -> list[ModelInfo]:
        models = [m for m in served_models(state().settings().speaks) if not m.upscale]
        if self.mode.value == CONVERSATION:
            models = [m for m in models if m.family == "gemini"]
        return models

    def _fill_model_options(self, prefer: str | None = None, session_model: str | None = None) -> None:
        """Offer the models of the mode; choose ``prefer``, the session's model, the current one or the default."""
        models = self._models_for_mode()
        options = [(f"{m.id} ({m.aliases[0]})" if m.aliases else m.id, m.id) for m in models]
        wanted: list[str] = []
        if prefer:
            wanted.append(resolve_model(prefer).id)
        current = self.model.value
        if current:
            wanted.append(current)
        settings = state().settings()
        if self.mode.value == CONVERSATION:
            if session_model is not None:
                wanted.insert(0 if not prefer else 1, session_model)
            wanted.append(resolve_model(settings.default_gemini_model).id)
        else:
            wanted.append(resolve_model(settings.default_imagen_model).id)
        ids = [value for _, value in options]
        for name in wanted:
            if name and name not in ids:
                info = resolve_model(name)
                if self.mode.value == ONE_SHOT or info.family == "gemini":
                    options.append((name, name))  # a model this table does not know, still usable
                    ids.append(name)
        choice = next((name for name in wanted if name in ids), ids[0] if ids else None)
        self._syncing = True
        try:
            self.model.options = options
            self.model.value = choice
        finally:
            self._syncing = False
        self._fill_capabilities()

    def _fill_capabilities(self) -> None:
        info = self.model_info()
        ratios = [("default", _AUTO), *[(r, r) for r in info.aspect_ratios]] if info.aspect_ratios else [
            ("default", _AUTO)
        ]
        sizes = [("default", _AUTO), *[(s, s) for s in info.image_sizes]]
        set_options(self.aspect_ratio, ratios)
        set_options(self.image_size, sizes)
        self.aspect_ratio.disabled = len(ratios) == 1
        self.image_size.disabled = len(sizes) == 1
        conversation = self.mode.value == CONVERSATION
        self.count.max = max(1, info.max_count)
        self.count.value = min(self.count.value, self.count.max)
        self.count.disabled = conversation
        if conversation:
            self.count.value = 1
        takes_negative = (info.negative_prompt and not conversation
                          and state().settings().speaks != "gemini-api")
        self.negative_prompt.layout.display = "" if takes_negative else "none"
        self.seed_auto.disabled = not info.seed
        self._sync_seed()

    def _sync_seed(self) -> None:
        self.seed.disabled = self.seed_auto.value or self.seed_auto.disabled

    def model_info(self) -> ModelInfo:
        """Capabilities of the model chosen in the dropdown."""
        return resolve_model(self.model.value or state().settings().default_imagen_model)

    def _show_mode_controls(self) -> None:
        """Only the controls of the mode: One-shot hides the session picker, Undo and the history strip."""
        shown = "" if self.mode.value == CONVERSATION else "none"
        for item in (self.session_box, self.history_label, self.history, self.undo_button):
            item.layout.display = shown

    def _set_status(self, text: str, kind: str) -> None:
        self.status_text = text
        self.status.value = status_html(text, kind)


def _button(text: str, css: str, tip: str, style: str = "", icon: str = "") -> widgets.Button:
    made = widgets.Button(description=text, tooltip=tip, button_style=style, icon=icon,
                          layout=widgets.Layout(width="auto"))
    made.add_class(css)
    return made


def set_options(dropdown: widgets.Dropdown, options: list[tuple[str, str]]) -> None:
    """Replace a dropdown's options, keeping the current value when it is still offered."""
    current = dropdown.value
    dropdown.options = options
    values = [value for _, value in options]
    dropdown.value = current if current in values else values[0]


def thumbnail(image: GeneratedImage, size: int) -> tuple[bytes, str]:
    """Small bytes for the comm (a downscaled copy when the image is larger than ``size``)."""
    try:
        preview = image.preview(size)
        return preview.data, preview.mime_type.split("/")[-1]
    except Exception:  # noqa: BLE001 - an undecodable image still shows as its own bytes
        return image.data, image.mime_type.split("/")[-1] or "png"


def tile(index: int, image: GeneratedImage, on_select: Callable[[Any], None]) -> widgets.Box:
    """One image of the results grid: thumbnail, size and seed, and its Select button."""
    thumb = thumbnail(image, THUMB_PX)
    picture = widgets.Image(value=thumb[0], format=thumb[1], width=str(THUMB_PX))
    picture.add_class("vi-thumb")
    pick = widgets.Button(description="Select", tooltip=f"Select image {index + 1}",
                          layout=widgets.Layout(width=f"{THUMB_PX}px"))
    pick.add_class("vi-select")
    pick.on_click(on_select)
    caption = widgets.HTML(f"<small>#{index + 1} · {image.width}×{image.height}"
                           f"{' · seed ' + str(image.seed) if image.seed is not None else ''}</small>")
    made = widgets.VBox([picture, caption, tile_links(image), pick],
                        layout=widgets.Layout(margin="4px", border="3px solid transparent"))
    made.add_class("vi-tile")
    return made


def tile_links(image: GeneratedImage) -> widgets.HTML:
    """A tile's download link (the bytes as received, under a readable name) and its full-size view."""
    if not image.data:
        return widgets.HTML("")
    url, name = image.data_url, html.escape(image.file_name, quote=True)
    links = widgets.HTML(
        f'<small><a class="vi-download" download="{name}" href="{url}" title="Download {name}">Download</a>'
        f'<details class="vi-full"><summary style="cursor:pointer">Full size ({image.width}×{image.height})'
        f'</summary><img src="{url}" alt="{name}" style="max-width:none;display:block"></details></small>'
    )
    links.add_class("vi-links")
    return links


def mark_selected(grid: widgets.Box, index: int | None) -> None:
    """Show which tile of the grid is selected (its button and a blue border)."""
    for position, item in enumerate(grid.children):
        chosen = position == index
        button = item.children[-1]
        button.description = "✓ Selected" if chosen else "Select"
        button.button_style = "success" if chosen else ""
        item.layout.border = "3px solid #1a73e8" if chosen else "3px solid transparent"


def history_item(number: int, exchange: Exchange) -> widgets.VBox:
    """One turn of the history strip: its last image (small) and its prompt (clipped)."""
    image = exchange.images[-1] if exchange.images else None
    parts: list[widgets.Widget] = []
    if image is not None and image.data:
        thumb = thumbnail(image, HISTORY_PX)
        parts.append(widgets.Image(value=thumb[0], format=thumb[1], width=str(HISTORY_PX)))
    parts.append(widgets.HTML(
        f'<div style="font-size:0.8em;width:{HISTORY_PX + 40}px;overflow:hidden;'
        f'text-overflow:ellipsis;white-space:nowrap" title="{html.escape(exchange.prompt)}">'
        f"{number}. {html.escape(clip(exchange.prompt, 24))}</div>"))
    item = widgets.VBox(parts, layout=widgets.Layout(margin="2px 6px 2px 0"))
    item.add_class("vi-turn")
    return item


def close_tree(widget: widgets.Widget) -> None:
    """Close a widget, its children, layout and style: ipywidgets keeps every open widget alive."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, widgets.Widget):
            part.close()
    widget.close()


__all__ = ["CONVERSATION", "ONE_SHOT", "PanelControls", "close_tree", "history_item", "mark_selected", "tile"]
