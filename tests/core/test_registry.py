"""The kernel registry: configure validates first and drops the client; the emulator starts lazily, once; reset stops all."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import vertex_image as vi
from apihelpers import Recorder, em, kernel, recorder  # noqa: F401 - fixtures
from vertex_image.base.errors import ConfigError, InvalidRequest, TransportError, VertexImageError
from vertex_image.core import registry
from vertex_image.core.registry import KernelState
from vertex_image.emulator import Emulator
from vertex_image.results.files import GROUP_SYNC

EMULATOR_THREAD = "vertex-image-emulator"
LOOP_THREAD = "vertex-image-loop"


def _threads(name: str) -> int:
    return sum(thread.name == name and thread.is_alive() for thread in threading.enumerate())


@pytest.fixture
def fresh() -> Iterator[None]:
    """The module-level state, reset before and after."""
    registry.reset()
    yield
    registry.reset()


@pytest.fixture
def kstate() -> Iterator[KernelState]:
    state = KernelState(environ={})
    yield state
    state.close()


# configure --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [{"max_concurrency": 0}, {"backend": "cloud"}, {"colour": "red"}, {"base_url": "ftp://host"},
     {"location": "Not A Region"}],
)
def test_a_bad_value_changes_nothing(kstate: KernelState, tmp_path: Path, bad: dict[str, object]) -> None:
    before = kstate.configure(backend="emulator", output_dir=str(tmp_path), max_concurrency=3)

    with pytest.raises((ConfigError, InvalidRequest)):
        kstate.configure(**bad, preview_size=128)

    after = kstate.settings()
    assert after == before
    assert (after.max_concurrency, after.preview_size, after.output_dir) == (3, before.preview_size, str(tmp_path))
    assert kstate.configured == {"backend": "emulator", "output_dir": str(tmp_path), "max_concurrency": 3}


def test_none_unsets_an_option_and_sources_say_where_values_came_from(kstate: KernelState) -> None:
    assert kstate.configure(max_concurrency=2).max_concurrency == 2
    settings = kstate.configure(max_concurrency=None)
    assert settings.max_concurrency == 8 and "max_concurrency" not in settings.sources
    assert kstate.configure(location="europe-west4").sources["location"] == "configure"


def test_configure_drops_the_client_so_new_settings_take_effect(kernel: Recorder) -> None:
    first = registry.state().client()
    vi.generate_images("a kite", model="nano-banana")

    vi.configure(emulator_mode="gemini-api", max_concurrency=2)
    second = registry.state().client()
    vi.generate_images("a kite", model="nano-banana")

    assert second is not first and registry.state().client() is second
    assert second.settings.max_concurrency == 2
    vertex_path, gemini_api_path = (call.path for call in kernel.sent())
    assert vertex_path.startswith("/v1/projects/")
    assert gemini_api_path == "/v1beta/models/gemini-nano-banana-2.1:generateContent"


def test_the_default_concurrency_may_grow_and_a_set_one_is_a_hard_cap(kstate: KernelState) -> None:
    from vertex_image.base.config import ADAPTIVE_CEILING

    kstate.configure(backend="emulator", base_url="http://127.0.0.1:9")
    assert kstate.client().grow_to == ADAPTIVE_CEILING and kstate.client().concurrency == 8
    kstate.configure(max_concurrency=8)
    assert kstate.client().grow_to is None


def test_configure_retires_the_old_client_without_closing_it_under_a_call(kstate: KernelState) -> None:
    kstate.configure(backend="emulator", base_url="http://127.0.0.1:9")
    old = kstate.client()
    with pytest.raises(TransportError):  # used once on the loop (nothing answers on port 9)
        kstate.runtime().run(old.ping(timeout_s=1))
    kstate.configure(preview_size=256)
    kstate.runtime().run(asyncio.sleep(0))  # the retirement runs on the loop
    assert old.retired and kstate.client() is not old
    with pytest.raises(TransportError, match="does not answer"):  # not "closed": a holder may still use it
        kstate.runtime().run(old.ping(timeout_s=1))


def test_the_store_follows_the_output_folder(kstate: KernelState, tmp_path: Path) -> None:
    kstate.configure(output_dir=str(tmp_path / "a"))
    first = kstate.store()
    assert kstate.store() is first and first.root == tmp_path / "a"
    kstate.configure(output_dir=str(tmp_path / "b"))
    assert kstate.store().root == tmp_path / "b" and kstate.store().durability == "process"
    kstate.configure(durability="fsync")
    assert kstate.store().durability == "fsync" and kstate.store().root == tmp_path / "b"


# the emulator -----------------------------------------------------------------------------------
def test_the_emulator_starts_lazily_once_per_kernel(kstate: KernelState, tmp_path: Path) -> None:
    running = _threads(EMULATOR_THREAD)
    kstate.configure(backend="emulator", output_dir=str(tmp_path))
    assert _threads(EMULATOR_THREAD) == running and kstate.settings().base_url == ""

    url = kstate.client().settings.base_url
    assert _threads(EMULATOR_THREAD) == running + 1
    assert url.startswith("http://127.0.0.1:") and httpx.get(url + "/v1/nothing").status_code == 404

    kstate.configure(emulator_mode="gemini-api")
    assert kstate.client().settings.base_url == url
    kstate.configure(backend="vertex", project="p")
    kstate.configure(backend="emulator")
    assert kstate.client().settings.base_url == url
    assert _threads(EMULATOR_THREAD) == running + 1


def test_a_base_url_for_the_emulator_backend_starts_no_emulator(kstate: KernelState) -> None:
    running = _threads(EMULATOR_THREAD)
    kstate.configure(backend="emulator", base_url="http://127.0.0.1:9")
    assert kstate.client().settings.base_url == "http://127.0.0.1:9"
    assert _threads(EMULATOR_THREAD) == running


def test_use_vertex_after_an_emulator_url_leaves_the_emulator_alone(em: Emulator, kstate: KernelState) -> None:
    from vertex_image.client.endpoints import model_url

    kstate.configure(backend="emulator", base_url=em.base_url)
    kstate.configure(backend="vertex")  # what `%vertex_image use vertex` does
    settings = kstate.configure(api_key="key-express-123456")  # express mode: a client without ADC

    connected = kstate.client().settings
    assert settings.base_url == connected.base_url == "" and "base_url" not in kstate.configured
    url = model_url(connected, model_id="imagen-4.0-generate-001", method="predict", location="global")
    assert url.startswith("https://aiplatform.googleapis.com/")
    assert recorder(em).sent() == []


def test_use_emulator_after_a_proxy_url_starts_the_in_process_emulator(
    fresh: None, em: Emulator, tmp_path: Path
) -> None:
    vi.configure(backend="vertex", project="p", base_url=em.base_url)  # say, a proxy in front of Vertex AI
    vi.configure(backend="emulator", output_dir=str(tmp_path))

    images = vi.generate_images("a cat")

    kernel = registry.state()
    assert kernel.emulator_url and kernel.emulator_url != em.base_url
    assert kernel.connected_settings().base_url == kernel.emulator_url
    assert recorder(em).sent() == []  # no fake credentials went to the proxy
    assert images[0].backend == "emulator"
    assert vi.gallery(1)[0].backend == "emulator"


def test_resolving_credentials_starts_nothing(kstate: KernelState) -> None:
    running = _threads(EMULATOR_THREAD)
    kstate.configure(backend="emulator")

    assert kstate.auth().description == "emulator (fake token)"
    assert kstate.resolved_settings().project == "vertex-image-emulator"
    assert (kstate.emulator_url, kstate._client, _threads(EMULATOR_THREAD)) == ("", None, running)


def test_an_output_dir_with_a_file_in_the_way_is_refused(kstate: KernelState, tmp_path: Path) -> None:
    before = kstate.configure(output_dir=str(tmp_path / "images"))
    (tmp_path / "afile").write_text("")

    for bad in (tmp_path / "afile", tmp_path / "afile" / "sub"):
        with pytest.raises(InvalidRequest, match="not a folder"):
            kstate.configure(output_dir=str(bad), preview_size=100)

    assert kstate.settings() == before and kstate.configured == {"output_dir": str(tmp_path / "images")}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # configure creates no folder


def test_without_backend_or_credentials_the_first_call_says_how_to_go_offline(fresh: None, tmp_path: Path) -> None:
    running = _threads(EMULATOR_THREAD)
    vi.configure(output_dir=str(tmp_path))

    with pytest.raises(ConfigError) as caught:
        vi.generate_images("a cat")

    message = str(caught.value)
    assert 'backend="emulator"' in message and "gcloud auth application-default login" in message
    assert _threads(EMULATOR_THREAD) == running  # never silently offline
    assert vi.settings().backend == "vertex"
    assert not list(tmp_path.iterdir())


# reset ------------------------------------------------------------------------------------------
def test_reset_stops_the_emulator_and_the_runtime(fresh: None, tmp_path: Path) -> None:
    emulators, loops = _threads(EMULATOR_THREAD), _threads(LOOP_THREAD)
    vi.configure(backend="emulator", output_dir=str(tmp_path))
    [cat] = vi.generate_images("a cat", model="nano-banana")
    old = registry.state()
    url = old.connected_settings().base_url
    runtime = old.runtime()
    vi.chat("nano-banana", name="kept")
    assert (_threads(EMULATOR_THREAD), _threads(LOOP_THREAD)) == (emulators + 1, loops + 1)

    registry.reset()

    assert (_threads(EMULATOR_THREAD), _threads(LOOP_THREAD)) == (emulators, loops)
    assert GROUP_SYNC.queued(cat.path + ".json") is None and Path(cat.path + ".json").is_file()  # store closed
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/nothing", timeout=2)

    async def nothing() -> None:
        return None

    with pytest.raises(RuntimeError, match="stopped"):
        runtime.run(nothing())
    fresh_state = registry.state()
    assert fresh_state is not old and fresh_state.sessions == {} and fresh_state.configured == {}
    registry.reset()  # idempotent
    registry.reset()


def test_close_is_safe_before_anything_was_started(kstate: KernelState) -> None:
    kstate.close()
    kstate.close()
    assert kstate.settings().backend == "vertex"


def test_configure_while_a_request_on_the_loop_uses_the_state_does_not_deadlock() -> None:
    state = KernelState(environ={})
    state.configure(backend="emulator", base_url="http://127.0.0.1:9")
    state.client()
    stop = threading.Event()
    started = threading.Event()

    async def busy() -> int:  # what a request does on the loop: ask the state for its client and settings
        rounds = 0
        while not stop.is_set():
            state.client()
            state.settings()
            rounds += 1
            started.set()
            await asyncio.sleep(0)
        return rounds

    work = state.runtime().submit(busy())
    assert started.wait(10), "the loop never ran the request"  # configure() must meet a request in flight
    reconfigure = threading.Thread(
        target=lambda: [state.configure(max_concurrency=2 + i % 3) for i in range(100)], daemon=True
    )
    reconfigure.start()
    reconfigure.join(10)
    stop.set()
    if reconfigure.is_alive():
        pytest.fail("configure() deadlocked with the runtime loop")  # state left as is: closing would hang too
    assert work.result(5) > 0
    assert state.client().settings.max_concurrency in (2, 3, 4)
    state.close()


# secrets ----------------------------------------------------------------------------------------
def test_the_api_key_is_not_shown_by_the_state(kstate: KernelState) -> None:
    canary = "CANARY-KEY-registry-5521"
    kstate.configure(backend="emulator", emulator_mode="gemini-api", api_key=canary)
    client = kstate.client()

    for text in (repr(kstate.configured), str(kstate.configured), repr(kstate.settings()), repr(client),
                 kstate.auth().description):
        assert canary not in text
    assert isinstance(kstate.settings().api_key, str) and str(kstate.settings().api_key) == canary
    with pytest.raises(VertexImageError) as caught:
        kstate.configure(api_key=canary, max_concurrency=-1)
    assert canary not in str(caught.value)


def test_session_followers_hear_names_set_replaced_and_removed_across_a_reset(kernel: Recorder) -> None:
    heard: list[tuple[str, object]] = []

    def on_names(name: str, session: object) -> None:
        heard.append((name, session))

    stop = registry.subscribe_sessions(on_names)
    try:
        sessions = registry.state().sessions
        first = vi.chat("nano-banana", name="foo")  # vi.chat puts a new named session in the registry
        assert vi.chat("nano-banana", name="foo") is first  # and resumes it
        second = vi.chat("nano-banana", name="foo", new=True)  # replaces it once its first turn is recorded
        second.send("a fox")
        clone = second.branch("bar")
        del sessions["bar"]
        assert heard == [("foo", first), ("foo", second), ("bar", clone), ("bar", None)]
        assert sessions == {"foo": second}

        registry.reset()  # followers are module-wide: a fresh state still tells them
        registry.state().sessions.pop("nothing", None)
        registry.state().sessions["baz"] = first
        assert heard[-1] == ("baz", first) and len(heard) == 5
    finally:
        stop()
    registry.state().sessions["quiet"] = first
    assert len(heard) == 5
