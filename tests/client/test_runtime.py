"""The private event loop: blocking run, Ctrl-C, futures, running loops in the caller, arun, stop."""

from __future__ import annotations

import _thread
import asyncio
import concurrent.futures
import gc
import signal
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from apihelpers import NoAuth
from vertex_image.base.config import Settings
from vertex_image.base.errors import Cancelled
from vertex_image.client.http import Client
from vertex_image.client.runtime import Runtime


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    rt = Runtime()
    yield rt
    rt.stop()


async def answer(value: int) -> tuple[int, str]:
    await asyncio.sleep(0)
    return value, threading.current_thread().name


FOREVER_S = 30.0  # "forever" for a test: far longer than any interrupt takes to arrive


class Watch:
    """A coroutine that waits forever and records that it started and that it was cancelled."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.cancelled = threading.Event()

    async def forever(self) -> None:
        self.started.set()
        try:
            await asyncio.wait_for(asyncio.Event().wait(), FOREVER_S)
        except asyncio.TimeoutError:  # a lost interrupt fails the test instead of hanging the suite
            raise AssertionError(f"not cancelled within {FOREVER_S} s") from None
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)  # cleanup takes a moment, as closing a connection does
            self.cancelled.set()
            raise


def test_run_returns_the_result_from_the_private_loop_thread(runtime: Runtime) -> None:
    value, thread = runtime.run(answer(7))
    assert value == 7
    assert thread == "vertex-image-loop"
    assert thread != threading.current_thread().name


def test_run_propagates_exceptions(runtime: Runtime) -> None:
    async def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        runtime.run(boom())


def test_run_propagates_timeout_error_rather_than_waiting_on(runtime: Runtime) -> None:
    async def timed_out() -> None:
        raise TimeoutError("slow")

    with pytest.raises(TimeoutError, match="slow"):
        runtime.run(timed_out())


def test_a_failure_reaches_the_caller_once_and_is_not_reported_as_unretrieved(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """The work's outcome goes to the caller as soon as it is there; the task is then marked as looked at, so
    asyncio logs no "exception was never retrieved" when it is collected."""
    async def boom() -> None:
        raise ValueError("boom")

    with caplog.at_level("ERROR", logger="asyncio"):
        for _ in range(3):
            with pytest.raises(ValueError, match="boom"):
                runtime.run(boom())
        runtime.run(asyncio.sleep(0))  # the tasks' done callbacks have run
        gc.collect()
    assert not [record for record in caplog.records if "never retrieved" in record.getMessage()]


def test_loop_starts_lazily(runtime: Runtime) -> None:
    assert "not started" in repr(runtime)
    runtime.run(answer(1))
    assert "running" in repr(runtime)


def _sigint() -> None:
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # Ctrl-C, "Interrupt kernel"


@pytest.mark.parametrize("interrupt", [_sigint, _thread.interrupt_main], ids=["SIGINT", "interrupt_main"])
def test_keyboard_interrupt_cancels_the_task_and_raises_cancelled(
    runtime: Runtime, interrupt: Callable[[], None]
) -> None:
    """``interrupt_main`` is how ipykernel interrupts on Windows: no signal wakes a blocked wait."""
    assert threading.current_thread() is threading.main_thread()
    watch = Watch()

    def interrupt_when_started() -> None:
        watch.started.wait(5)
        time.sleep(0.2)  # let the main thread settle into waiting for the result
        interrupt()

    threading.Thread(target=interrupt_when_started, daemon=True).start()
    with pytest.raises(Cancelled):
        runtime.run(watch.forever())
    assert watch.cancelled.is_set()  # run() waited for the cancellation to finish


def test_submit_gives_a_future(runtime: Runtime) -> None:
    future = runtime.submit(answer(3))
    assert isinstance(future, concurrent.futures.Future)
    assert future.result(timeout=5)[0] == 3


def test_cancelling_the_future_cancels_the_task(runtime: Runtime) -> None:
    watch = Watch()
    future = runtime.submit(watch.forever())
    assert watch.started.wait(5)
    assert future.cancel()
    assert watch.cancelled.wait(5)


def test_cancelling_before_the_task_starts_closes_the_coroutine(runtime: Runtime) -> None:
    runtime.run(answer(0))
    gate = threading.Event()
    runtime.loop.call_soon_threadsafe(gate.wait, 5)  # keep the loop busy
    coro = answer(1)
    future = runtime.submit(coro)
    assert future.cancel()
    gate.set()
    runtime.run(answer(2))
    assert coro.cr_frame is None  # closed, never awaited, and no warning


def test_run_works_while_the_calling_thread_runs_its_own_loop(runtime: Runtime) -> None:
    async def kernel_cell() -> int:
        # a magic is synchronous code on the kernel's running loop: it may not await
        return runtime.run(answer(5))[0]

    assert asyncio.run(kernel_cell()) == 5


def test_arun_awaits_from_another_loop(runtime: Runtime) -> None:
    async def caller() -> tuple[int, str]:
        return await runtime.arun(answer(9))

    value, thread = asyncio.run(caller())
    assert (value, thread) == (9, "vertex-image-loop")


def test_cancelling_the_arun_awaiter_cancels_the_work(runtime: Runtime) -> None:
    watch = Watch()

    async def caller() -> None:
        task = asyncio.create_task(runtime.arun(watch.forever()))
        await asyncio.get_running_loop().run_in_executor(None, watch.started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(caller())
    assert watch.cancelled.is_set()


def test_arun_on_the_runtime_loop_awaits_directly(runtime: Runtime) -> None:
    async def nested() -> tuple[int, str]:
        return await runtime.arun(answer(4))

    assert runtime.run(nested()) == (4, "vertex-image-loop")


def test_run_from_the_loop_thread_is_refused(runtime: Runtime) -> None:
    async def reentrant() -> None:
        runtime.run(answer(1))

    with pytest.raises(RuntimeError, match="own loop"):
        runtime.run(reentrant())


def test_stop_cancels_pending_work_joins_and_refuses_new_work() -> None:
    rt = Runtime()
    watch = Watch()
    future = rt.submit(watch.forever())
    assert watch.started.wait(5)
    thread = rt._thread
    rt.stop()
    assert thread is not None and not thread.is_alive()
    assert watch.cancelled.is_set()
    assert future.cancelled()
    with pytest.raises(RuntimeError, match="stopped"):
        rt.run(answer(1))
    rt.stop()  # idempotent
    assert "stopped" in repr(rt)


def test_a_client_used_through_arun_from_any_loop(runtime: Runtime) -> None:
    """The httpx client is bound to the runtime loop, so two different caller loops can share it."""
    client = Client(
        Settings(project="p"),
        auth=NoAuth(),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True})),
    )

    async def caller() -> dict[str, object]:
        return await runtime.arun(client.predict("imagen-4.0-generate-001", {}, location="us-central1"))

    assert asyncio.run(caller()) == {"ok": True}
    assert asyncio.run(caller()) == {"ok": True}
    runtime.run(client.aclose())


