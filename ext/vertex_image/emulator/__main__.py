"""``python -m vertex_image.emulator``: serve the emulator until Ctrl-C; prints its base URL first."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence

from . import Emulator
from .call import DEFAULT_BLOCKED_WORDS
from .faults import parse
from .lineup import parse_day


def _fault(text: str) -> str:
    try:
        parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _day(text: str) -> datetime.date:
    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m vertex_image.emulator",
        description=(
            "Offline Vertex AI / Gemini API emulator for Google's image models. It serves the lineup of the "
            "emulated day (today unless --as-of): live models answer, retired ones 404 as on the real services."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8089, help="TCP port, 0 for a free one (default 8089)")
    parser.add_argument(
        "--as-of",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help=(
            "emulate that day instead of today: each model is live or retired by its dates, e.g. 2026-03-01 "
            "serves Imagen :predict and the Gemini 3 previews again (per request: header x-emulator-as-of)"
        ),
    )
    parser.add_argument("--latency", type=float, default=0.0, metavar="S", help="seconds added to every answer")
    parser.add_argument("--rpm", type=int, default=None, metavar="N", help="requests per minute before 429")
    parser.add_argument("--require-key", default=None, metavar="KEY", help="the only API key accepted")
    parser.add_argument(
        "--blocked-words",
        nargs="+",
        default=None,
        metavar="WORD",
        help=f"words whose prompts get every image blocked (default: {' '.join(DEFAULT_BLOCKED_WORDS)})",
    )
    parser.add_argument(
        "--fault",
        type=_fault,
        default=None,
        metavar="SPEC",
        help="fault for every request, e.g. 503, 429;retry-after=3, latency=2.5, drop, 503;every=3",
    )
    parser.add_argument(
        "--extra-model", action="append", default=None, metavar="ID", help="accept another model id (repeatable)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request line to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground."""
    args = build_parser().parse_args(argv)
    emulator = Emulator(
        host=args.host,
        port=args.port,
        latency_s=args.latency,
        rpm=args.rpm,
        require_key=args.require_key,
        blocked_words=args.blocked_words,
        fault=args.fault,
        extra_models=args.extra_model,
        verbose=args.verbose,
        as_of=args.as_of,
    ).start()
    print(emulator.base_url, flush=True)
    print(
        "vertex-image emulator ready. Point a client at it, e.g. VERTEX_IMAGE_BACKEND=emulator or "
        f"google-genai http_options=HttpOptions(base_url={emulator.base_url!r}). Ctrl-C stops.",
        file=sys.stderr,
        flush=True,
    )
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
