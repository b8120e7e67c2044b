"""Thought signatures the emulator issues and recognises (WIRE.md §5.4).

A signature is ``MAGIC + HMAC-SHA256(KEY, kind + content)`` in standard base64, where the content is the text
of a text part or the decoded bytes of an image part. The key is fixed and public (it only lets the emulator
recognise its own signatures, statelessly, across restarts): a replayed turn verifies when its content and
signature are unchanged, whatever base64 alphabet the client re-encoded the image with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

KEY = b"vertex-image emulator thought-signature key v1 (public, not a secret)"
MAGIC = b"VIEMU\x01"


def _mac(kind: str, content: bytes) -> bytes:
    return hmac.new(KEY, kind.encode("ascii") + b"\x00" + content, hashlib.sha256).digest()


def sign(kind: str, content: bytes) -> str:
    """The signature for a ``text`` or ``image`` part's content."""
    return base64.b64encode(MAGIC + _mac(kind, content)).decode("ascii")


def sign_text(text: str) -> str:
    """The signature of a text part."""
    return sign("text", text.encode("utf-8"))


def sign_image(data: bytes) -> str:
    """The signature of an image part (over the decoded bytes)."""
    return sign("image", data)


def verify(signature: bytes, kind: str, content: bytes) -> bool:
    """Whether ``signature`` (decoded bytes) was issued by the emulator for exactly this content."""
    if not signature.startswith(MAGIC):
        return False
    return hmac.compare_digest(signature[len(MAGIC) :], _mac(kind, content))
