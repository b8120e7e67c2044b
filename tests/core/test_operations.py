"""core/operations.py: one operation (build, send, parse, save) for one-shot calls, upscales and chat turns."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from typing import Any

import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel, recorded_emulator, recorder  # noqa: F401 - fixtures
from vertex_image.base.errors import InvalidRequest
from vertex_image.base.models import resolve_model
from vertex_image.base.values import ParsedResponse
from vertex_image.core import operations, registry
from vertex_image.core.session import ImageSession


@pytest.mark.parametrize(
    ("builder", "allowed"),
    [
        ("imagen.build_generate_body", operations.IMAGEN_OPTIONS),
        ("imagen.build_edit_body", operations.EDIT_OPTIONS),
        ("imagen.build_upscale_body", operations.UPSCALE_OPTIONS),
        ("gemini.build_generate_content_body", operations.GEMINI_OPTIONS),
    ],
)
def test_the_option_lists_match_the_wire_builders(builder: str, allowed: tuple[str, ...]) -> None:
    module, name = builder.split(".")
    function = getattr(importlib.import_module(f"vertex_image.wire.{module}"), name)
    keywords = {p.name for p in inspect.signature(function).parameters.values() if p.kind is p.KEYWORD_ONLY}
    set_by_the_api = {"n", "aspect_ratio", "image_size", "negative_prompt", "seed", "images", "mask", "mode",
                      "factor", "dialect", "response_modalities", "candidate_count"}
    renamed = {"thinking": "thinking_level"}  # the API's name -> the builder's
    assert {renamed.get(name, name) for name in allowed} - {"text"} == keywords - set_by_the_api


def test_a_cancellation_inside_one_request_is_not_taken_for_a_failure() -> None:
    async def fine() -> ParsedResponse:
        return ParsedResponse()

    async def cancelled() -> ParsedResponse:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(operations._every_call([fine(), cancelled()]))


def test_check_option_names_lists_what_the_family_takes() -> None:
    operations.check_option_names("imagen", {"enhance_prompt": True})
    operations.check_option_names("imagen", {"mask_mode": "background"}, edit=True)
    with pytest.raises(InvalidRequest, match="mask_mode is not an option of Imagen models; the options are: "):
        operations.check_option_names("imagen", {"mask_mode": "background"})
    with pytest.raises(InvalidRequest, match="colour, size are not an option of Gemini image models"):
        operations.check_option_names("gemini", {"colour": 1, "size": 2})


def test_a_chat_turn_and_a_one_shot_call_go_through_the_same_operation(
    kernel: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    real = operations.generate_content

    async def spy(info: Any, contents: Any, **kwargs: Any) -> operations.Answer:
        calls.append({"model": info.id, "turns": len(contents), "prompt": kwargs["prompt"]})
        return await real(info, contents, **kwargs)

    monkeypatch.setattr(operations, "generate_content", spy)
    monkeypatch.setattr("vertex_image.core.session.generate_content", spy)
    vi.generate_images("a fox", model="nano-banana")
    session = ImageSession(model="nano-banana", name="same")
    session.send("a fox")
    session.send("now at night")
    assert calls == [
        {"model": resolve_model("nano-banana").id, "turns": 1, "prompt": "a fox"},
        {"model": resolve_model("nano-banana").id, "turns": 1, "prompt": "a fox"},
        {"model": resolve_model("nano-banana").id, "turns": 3, "prompt": "now at night"},
    ]
    assert len(session) == 2 and len(kernel.sent("generateContent")) == 3


def test_generate_content_sends_n_requests_with_consecutive_seeds_and_saves_before_returning(
    kernel: Recorder,
) -> None:
    info = resolve_model("nano-banana")
    contents = [{"role": "user", "parts": [{"text": "a lighthouse"}]}]

    async def run() -> operations.Answer:
        return await operations.generate_content(
            info, contents, prompt="a lighthouse", parameters={"n": 2, "note": None}, n=2, seed=40,
            response_modalities=("IMAGE",),
        )

    answer = registry.state().runtime().run(run())
    seeds = [call.body["generationConfig"]["seed"] for call in kernel.sent("generateContent")]
    assert sorted(seeds) == [40, 41]
    assert len(answer.images) == 2 and all(image.path for image in answer.images)
    assert answer.images[0].parameters == {"n": 2}  # None parameters are left out
    assert answer.parsed.images and answer.images[0].seed == 40


@pytest.mark.parametrize("others_in_flight", [1, 0])
def test_saving_runs_off_the_loop_while_other_requests_are_in_flight_and_the_image_is_on_disk_first(
    kernel: Recorder, monkeypatch: pytest.MonkeyPatch, others_in_flight: int
) -> None:
    import threading
    import time
    from pathlib import Path

    from vertex_image.client.http import Client

    loop_thread: list[int] = []
    save_threads: list[int] = []
    ticks_during_save: list[int] = []
    ticks = [0]
    real_save_all = registry.state().store().save_all

    def slow_save_all(images: Any, **together: Any) -> Any:
        save_threads.append(threading.get_ident())
        before = ticks[0]
        time.sleep(0.3)  # a slow disk
        ticks_during_save.append(ticks[0] - before)
        return real_save_all(images, **together)

    monkeypatch.setattr(registry.state().store(), "save_all", slow_save_all)
    monkeypatch.setattr(Client, "in_flight", property(lambda self: others_in_flight))  # e.g. 31 more prompts
    info = resolve_model("nano-banana")

    async def ticker(stop: asyncio.Event) -> None:  # stands for the other requests' reads
        while not stop.is_set():
            ticks[0] += 1
            await asyncio.sleep(0.01)

    async def run() -> operations.Answer:
        loop_thread.append(threading.get_ident())
        stop = asyncio.Event()
        task = asyncio.ensure_future(ticker(stop))
        answer = await operations.generate_content(
            info, [{"role": "user", "parts": [{"text": "a fox"}]}], prompt="a fox", parameters={},
            response_modalities=("IMAGE",),
        )
        stop.set()
        await task
        return answer

    answer = registry.state().runtime().run(run())
    assert Path(answer.images[0].path).read_bytes()  # on disk before the call returned
    if others_in_flight:
        assert save_threads[0] != loop_thread[0]
        assert ticks_during_save[0] >= 5  # the loop went on while the disk was busy (about 30 ticks in 0.3 s)
    else:  # alone on the loop: saved right there, no thread hop
        assert save_threads[0] == loop_thread[0]


def test_the_client_counts_its_requests_in_flight(kernel: Recorder) -> None:
    client = registry.state().client()
    seen: list[int] = []

    async def run() -> None:
        info = resolve_model("nano-banana")
        call = operations.generate_content(
            info, [{"role": "user", "parts": [{"text": "a fox"}]}], prompt="a fox", parameters={}, n=3,
            response_modalities=("IMAGE",),
        )
        task = asyncio.ensure_future(call)
        most = 0
        while not task.done():
            most = max(most, client.in_flight)
            await asyncio.sleep(0)
        seen.extend([most, client.in_flight])

    registry.state().runtime().run(run())
    assert seen == [3, 0]


# issue 12: nothing paid for is lost ---------------------------------------------------------------
def test_a_folder_that_cannot_be_written_is_refused_before_anything_is_sent(kernel: Recorder, tmp_path: Any) -> None:
    from vertex_image.base.errors import StorageError
    from vertex_image.results.store import ImageStore

    def refuse(self: Any) -> None:  # a read-only folder (chmod does not stop root, so the probe is refused here)
        raise StorageError(f"Cannot save images in {self.root}: Read-only file system; nothing was sent.")

    original = ImageStore.check_writable
    ImageStore.check_writable = refuse  # type: ignore[method-assign]
    try:
        with pytest.raises(StorageError, match="nothing was sent"):
            vi.generate_images("a fox")
        with pytest.raises(StorageError, match="nothing was sent"):
            vi.chat("nano-banana").send("a fox")
    finally:
        ImageStore.check_writable = original  # type: ignore[method-assign]
    assert kernel.sent() == []


def test_images_whose_saving_fails_after_the_answer_are_returned_with_the_way_to_save_them(
    kernel: Recorder, tmp_path: Any
) -> None:
    import errno

    from vertex_image.results import store

    def disk_full(writes: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out"))

    original = store.atomic_write_all
    store.atomic_write_all = disk_full  # type: ignore[assignment]
    try:
        images = vi.generate_images("a fox", n=2)
    finally:
        store.atomic_write_all = original  # type: ignore[assignment]
    assert len(kernel.sent()) == 2 and len(images) == 2 and all(image.data and not image.path for image in images)
    (notice,) = images.notices
    assert notice.startswith("not saved: cannot save images in") and "No space left on device" in notice
    assert "kept in memory only" in notice and ".save(" in notice and "\n" not in notice
    saved = images.save(tmp_path / "rescued")
    assert [path.read_bytes() for path in saved] == [image.data for image in images]


def test_a_call_whose_images_cannot_be_saved_still_records_what_it_cost(kernel: Recorder, tmp_path: Any) -> None:
    """The charge goes in the images' commit; when that commit fails it is written on its own (the disk refusing
    image files is not the index refusing a row), and whatever else stops the save (a bug) keeps it too."""
    from vertex_image.results import store

    def refuse(writes: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    store_now = registry.state().store()
    original = store.atomic_write_all
    store.atomic_write_all = refuse  # type: ignore[assignment]
    try:
        vi.generate_images("a fox")
    finally:
        store.atomic_write_all = original  # type: ignore[assignment]
    assert len(store_now.charges()) == 1 and not store_now.entries()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug in the save")

    store.atomic_write_all = broken  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError, match="a bug in the save"):
            vi.generate_images("a second fox")
    finally:
        store.atomic_write_all = original  # type: ignore[assignment]
    assert len(store_now.charges()) == 2
