"""vertex-image: Google's image models (Imagen, Gemini image models) as first-class notebook citizens.

``%load_ext vertex_image`` registers ``%imagen``, ``%%gemini_image`` and ``%vertex_image``; the same
features are a Python API (``vi.generate_images``, ``vi.chat``...). Every name is imported on first
use, so that ``import vertex_image`` and ``%load_ext`` stay cheap (httpx, google.auth, PIL and
ipywidgets load only when a request, an image or a panel needs them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

_EXPORTS: dict[str, str] = {
    # the Python API
    "configure": "api",
    "settings": "api",
    "generate_images": "api",
    "agenerate_images": "api",
    "edit_image": "api",
    "aedit_image": "api",
    "upscale_image": "api",
    "chat": "api",
    # results
    "GeneratedImage": "images",
    "ImageSet": "images",
    "compare": "formatters",
    # persistence
    "ImageStore": "store",
    "gallery": "store",
    "load": "store",
    # sessions and panel
    "ImageSession": "session",
    "panel": "widget",
    # errors
    "VertexImageError": "errors",
    "ConfigError": "errors",
    "InvalidRequest": "errors",
    "APIError": "errors",
    "BadRequest": "errors",
    "AuthError": "errors",
    "NotFound": "errors",
    "QuotaExceeded": "errors",
    "ServiceError": "errors",
    "TransportError": "errors",
    "ResponseFormatError": "errors",
    "StorageError": "errors",
    "ImageBlocked": "errors",
    "NoImageReturned": "errors",
    "Cancelled": "errors",
}

__all__ = sorted([*_EXPORTS, "__version__", "load_ipython_extension", "unload_ipython_extension"])

if TYPE_CHECKING:  # pragma: no cover
    from .api import (
        aedit_image,
        agenerate_images,
        chat,
        configure,
        edit_image,
        generate_images,
        settings,
        upscale_image,
    )
    from .errors import (
        APIError,
        AuthError,
        BadRequest,
        Cancelled,
        ConfigError,
        ImageBlocked,
        InvalidRequest,
        NoImageReturned,
        NotFound,
        QuotaExceeded,
        ResponseFormatError,
        ServiceError,
        StorageError,
        TransportError,
        VertexImageError,
    )
    from .formatters import compare
    from .images import GeneratedImage, ImageSet
    from .session import ImageSession
    from .store import ImageStore, gallery, load
    from .widget import panel


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'vertex_image' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext vertex_image``: register the magics and display formatters."""
    from .magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext vertex_image``: remove everything the extension added."""
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)
