"""vertex-image: Google's image models (Imagen, Gemini image models) as first-class notebook citizens.

``%load_ext vertex_image`` registers ``%imagen``, ``%%gemini_image`` and ``%vertex_image``; the same
features are a Python API (``vi.generate_images``, ``vi.chat``...). Every name is imported on first
use, so that ``import vertex_image`` and ``%load_ext`` stay cheap (httpx, google.auth, PIL and
ipywidgets load only when a request, an image or a panel needs them).

How the package is built (its folders, what each may import, the path of one request): README.md
beside this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

_EXPORTS: dict[str, str] = {
    # the Python API
    "configure": "core.api",
    "settings": "core.api",
    "generate_images": "core.api",
    "agenerate_images": "core.api",
    "edit_image": "core.api",
    "aedit_image": "core.api",
    "upscale_image": "core.api",
    "chat": "core.api",
    "list_models": "core.api",
    "cost": "core.api",
    "generate_many": "core.many",
    "batches": "core.batches",
    "export": "core.api",
    # results
    "GeneratedImage": "results.images",
    "ImageSet": "results.images",
    "compare": "results.images",
    # persistence
    "ImageStore": "results.store",
    "gallery": "core.api",
    "load": "core.api",
    # sessions and panel
    "ImageSession": "core.session",
    "panel": "notebook.panel.widget",
    # errors
    "VertexImageError": "base.errors",
    "ConfigError": "base.errors",
    "InvalidRequest": "base.errors",
    "APIError": "base.errors",
    "BadRequest": "base.errors",
    "AuthError": "base.errors",
    "NotFound": "base.errors",
    "QuotaExceeded": "base.errors",
    "ServiceError": "base.errors",
    "TransportError": "base.errors",
    "ResponseFormatError": "base.errors",
    "StorageError": "base.errors",
    "ImageBlocked": "base.errors",
    "NoImageReturned": "base.errors",
    "ModelRetired": "base.errors",
    "BudgetExceeded": "base.errors",
    "Cancelled": "base.errors",
    "NotRecorded": "base.errors",
}

__all__ = sorted([*_EXPORTS, "__version__", "load_ipython_extension", "unload_ipython_extension"])

if TYPE_CHECKING:  # pragma: no cover
    from .base.errors import (
        APIError,
        AuthError,
        BadRequest,
        BudgetExceeded,
        Cancelled,
        ConfigError,
        ImageBlocked,
        InvalidRequest,
        ModelRetired,
        NoImageReturned,
        NotFound,
        NotRecorded,
        QuotaExceeded,
        ResponseFormatError,
        ServiceError,
        StorageError,
        TransportError,
        VertexImageError,
    )
    from .core.api import (
        aedit_image,
        agenerate_images,
        chat,
        configure,
        cost,
        edit_image,
        export,
        gallery,
        generate_images,
        list_models,
        load,
        settings,
        upscale_image,
    )
    from .core.batches import batches
    from .core.many import generate_many
    from .core.session import ImageSession
    from .notebook.panel.widget import panel
    from .results.images import GeneratedImage, ImageSet, compare
    from .results.store import ImageStore


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
    from .notebook.magics import load_ipython_extension as _load  # lazy: IPython, for %load_ext only

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext vertex_image``: remove everything the extension added."""
    from .notebook.magics import unload_ipython_extension as _unload  # lazy: IPython, for %unload_ext only

    _unload(ipython)
