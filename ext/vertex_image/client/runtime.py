"""The extension's private asyncio loop on a daemon thread (IPython's ``%%script`` pattern).

A kernel's own loop is always running, so a magic cannot ``await`` and ``asyncio.run`` refuses to
nest. Instead every request runs on this loop: ``run`` blocks the caller (Ctrl-C cancels the request
and raises ``Cancelled``), ``submit`` returns a ``concurrent.futures.Future`` (for the panel), and
``arun`` lets async callers on any other loop await the work. No ``nest_asyncio``.

The loop starts on first use. ``stop()`` cancels what is still running, stops and joins the thread;
a stopped Runtime refuses new work with a ``RuntimeError`` (the registry makes a new one), because
clients bound to the old loop could not be reused anyway.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

from ..base.errors import Cancelled

T = TypeVar("T")

POLL_S = 0.1  # how often run() wakes up to notice an interrupt
CANCEL_GRACE_S = 2.0  # how long run() waits for a cancelled request to close its connection
STOP_GRACE_S = 5.0


class Runtime:
    """A private event loop on a daemon thread; see the module docstring for the lifecycle."""

    def __init__(self, *, name: str = "vertex-image-loop") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running" if self._loop is not None else "not started"
        return f"Runtime({state})"

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The private loop (started on first access)."""
        return self._ensure_started()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the private loop and block until it finishes; its result or exception.

        Raises:
            Cancelled: the caller was interrupted (KeyboardInterrupt) or the work was cancelled; the
                task has been cancelled and given ``CANCEL_GRACE_S`` to close its connections.
            RuntimeError: called from the runtime's own thread, or after ``stop()``.
        """
        if self._on_loop_thread():
            coro.close()
            raise RuntimeError("Runtime.run() called from its own loop; await the coroutine instead.")
        future, finished = self._schedule(coro)
        try:
            # Short waits: _thread.interrupt_main() (ipykernel on Windows) is seen between bytecodes only.
            while True:
                try:
                    return future.result(timeout=POLL_S)
                except TimeoutError:  # concurrent.futures' timeout; the work's own TimeoutError comes with done()
                    if future.done():
                        raise
        except KeyboardInterrupt:
            future.cancel()
            finished.wait(CANCEL_GRACE_S)
            raise Cancelled("Interrupted: the request was cancelled and nothing was recorded.") from None
        except concurrent.futures.CancelledError:
            raise Cancelled("The request was cancelled and nothing was recorded.") from None

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` without waiting; ``cancel()`` on the future cancels the task."""
        return self._schedule(coro)[0]

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` run on the private loop, from any other loop; cancelling the awaiter cancels it."""
        if self._on_loop_thread():
            return await coro
        future, finished = self._schedule(coro)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            await asyncio.get_running_loop().run_in_executor(None, finished.wait, CANCEL_GRACE_S)
            raise

    def stop(self, timeout_s: float = STOP_GRACE_S) -> None:
        """Cancel running work, stop the loop and join its thread. Idempotent."""
        with self._lock:
            self._stopped = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        if threading.current_thread() is not thread:
            thread.join(timeout_s)

    # --- internals ------------------------------------------------------------------------------

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._stopped:
                raise RuntimeError("This Runtime was stopped; create a new one.")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(target=_serve, args=(loop, ready), name=self._name, daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
                weakref.finalize(self, _stop_loop, loop)
            return self._loop

    def _on_loop_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def _schedule(
        self, coro: Coroutine[Any, Any, T]
    ) -> tuple[concurrent.futures.Future[T], threading.Event]:
        """Start ``coro`` as a task; a future for its outcome and an event set when the task is over.

        The event matters on cancel: the future is cancelled at once, but the task needs a moment
        more to unwind (close its HTTP response), and ``run`` waits for that.
        """
        try:
            loop = self._ensure_started()
        except RuntimeError:
            coro.close()
            raise
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        finished = threading.Event()

        def start() -> None:
            if future.cancelled():
                coro.close()
                finished.set()
                return
            task = loop.create_task(_delivering(coro, future))
            task.add_done_callback(lambda done: _settle(done, future, finished))
            future.add_done_callback(lambda f: f.cancelled() and loop.call_soon_threadsafe(task.cancel))

        try:
            loop.call_soon_threadsafe(start)
        except RuntimeError:  # the loop closed between the check and the call
            coro.close()
            raise RuntimeError("This Runtime was stopped; create a new one.") from None
        return future, finished


async def _delivering(coro: Coroutine[Any, Any, T], future: concurrent.futures.Future[T]) -> T:
    """``coro``, its result or error handed to the caller's future the moment it is there: the caller wakes a loop
    turn sooner than through the task's done callback (``_settle`` then finds the future done)."""
    try:
        result = await coro
    except Exception as error:
        if not future.done() and future.set_running_or_notify_cancel():
            future.set_exception(error)
        raise
    if not future.done() and future.set_running_or_notify_cancel():
        future.set_result(result)
    return result


def _settle(task: asyncio.Task[Any], future: concurrent.futures.Future[Any], finished: threading.Event) -> None:
    """Copy a finished task's outcome to the caller's future, then signal that the task is over."""
    try:
        if future.done():  # delivered by _delivering
            if not task.cancelled():
                task.exception()  # retrieved: the caller has it
        elif task.cancelled():
            future.cancel()
        elif future.set_running_or_notify_cancel():
            error = task.exception()
            if error is None:
                future.set_result(task.result())
            else:
                future.set_exception(error)
        elif not task.cancelled():
            task.exception()  # mark as retrieved: the caller cancelled and will not look
    finally:
        finished.set()


def _serve(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    """The thread's body: run the loop until stopped, then cancel what is left and close it."""
    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    try:
        loop.run_forever()
    finally:
        try:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=STOP_GRACE_S))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


def _stop_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Finalizer: a forgotten Runtime stops its loop (the daemon thread then ends)."""
    if not loop.is_closed():
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:
            pass


__all__ = ["Runtime"]
