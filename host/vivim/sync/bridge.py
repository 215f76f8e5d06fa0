"""py-libp2p is trio-native; VIVIM's host is asyncio. Trio runs here in guest mode on the
asyncio loop's own thread (`trio.lowlevel.start_guest_run`), so both share one thread with
aiohttp and the store and no locks are needed between them. Two crossings:
`TrioGuest.call(afn, ...)` runs trio code from asyncio; `TrioGuest.wait(coro)` runs an asyncio
coroutine from trio code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

STOP_TIMEOUT = 10.0


class TrioGuest:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.token: Any = None
        self.nursery: Any = None
        self._done: asyncio.Future[Any] | None = None
        self._stop: Any = None

    async def start(self) -> None:
        import trio

        self.loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = self.loop.create_future()
        self._done = self.loop.create_future()

        async def main() -> None:
            self.token = trio.lowlevel.current_trio_token()
            self._stop = trio.Event()
            async with trio.open_nursery() as nursery:
                self.nursery = nursery
                ready.set_result(None)
                await self._stop.wait()
                nursery.cancel_scope.cancel()

        def done(outcome: Any) -> None:
            if not self._done.done():
                self._done.set_result(outcome)

        trio.lowlevel.start_guest_run(
            main,
            run_sync_soon_threadsafe=self.loop.call_soon_threadsafe,
            run_sync_soon_not_threadsafe=self.loop.call_soon,
            done_callback=done,
            host_uses_signal_set_wakeup_fd=True,
        )
        await ready

    def spawn(self, afn: Callable[..., Awaitable[Any]], *args: Any) -> asyncio.Future[Any]:
        """Start afn(*args) as a trio task; the returned asyncio future gets its result."""
        assert self.loop is not None and self.token is not None
        future: asyncio.Future[Any] = self.loop.create_future()

        async def runner() -> None:
            try:
                result = await afn(*args)
            except BaseException as exc:
                if not future.done():
                    self.loop.call_soon_threadsafe(_set_exception, future, exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                self.loop.call_soon_threadsafe(_set_result, future, result)

        self.token.run_sync_soon(lambda: self.nursery.start_soon(runner))
        return future

    async def call(self, afn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        return await self.spawn(afn, *args)

    async def wait(self, coro: Awaitable[Any]) -> Any:
        """From trio: run an asyncio coroutine to completion and return its result."""
        import trio

        assert self.loop is not None
        future = asyncio.ensure_future(coro, loop=self.loop)
        finished = trio.Event()
        token = self.token
        future.add_done_callback(lambda _f: token.run_sync_soon(finished.set))
        try:
            await finished.wait()
        except BaseException:
            future.cancel()
            raise
        return future.result()

    def notify(self, fn: Callable[[], None]) -> None:
        """Run a plain function in trio's context (e.g. set a trio.Event) from anywhere."""
        if self.token is not None:
            try:
                self.token.run_sync_soon(fn)
            except Exception:  # noqa: BLE001 - trio already finished
                pass

    async def stop(self) -> None:
        if self._done is None:
            return
        # Stopped while start() was waiting for trio's first step: let trio get there, then stop it
        # (else the guest run would start after us and keep the loop busy forever).
        for _ in range(200):
            if self.token is not None or self._done.done():
                break
            await asyncio.sleep(0.01)
        if self.token is None:
            return
        self.notify(lambda: self._stop.set())
        try:
            await asyncio.wait_for(asyncio.shield(self._done), STOP_TIMEOUT)
        except TimeoutError:
            # The caller must not act as if the node were gone (release the lock, close the store).
            raise TimeoutError(f"trio did not finish within {STOP_TIMEOUT:g} s of being stopped") from None
        self.token = None


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
