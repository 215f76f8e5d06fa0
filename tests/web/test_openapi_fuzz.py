"""Schemathesis against the served OpenAPI document: generated requests never cause a 500,
and answers match the documented shapes."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import seed

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (test extra)")

MAX_EXAMPLES = 25
SKIP_PATHS = {"/api/events"}  # a WebSocket: nothing to fuzz over plain HTTP


class ServerThread:
    """The web app on its own event loop in a thread, because schemathesis calls are blocking."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)

    async def _start(self) -> None:
        from vivim.config import Paths
        from vivim.runtime import Runtime
        from vivim.web.service import start

        self.runtime = await Runtime.open(Paths(self.home))
        await seed(self.runtime.store)
        self.service = await start(self.runtime, port=0)

    async def _stop(self) -> None:
        await self.service.stop()
        await self.runtime.close()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def server(vivim_home: Path) -> Iterator[ServerThread]:
    server = ServerThread(vivim_home)
    server.start()
    yield server
    server.stop()


def test_generated_requests_never_cause_a_server_error(server: ServerThread) -> None:
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    from vivim.web.openapi import build

    checks = {
        GenerationMode.POSITIVE: [
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
        GenerationMode.NEGATIVE: [not_a_server_error, status_code_conformance],
    }
    base_url = f"http://127.0.0.1:{server.service.port}"
    headers = {"Authorization": f"Bearer {server.service.token}"}
    schema = schemathesis.openapi.from_dict(build())
    schema.config.base_url = base_url
    failures: list[str] = []
    tested = []
    operations = [r.ok() for r in schema.get_all_operations()]
    for operation, mode in itertools.product(operations, list(GenerationMode)):
        if operation.path in SKIP_PATHS:
            continue
        tested.append(f"{operation.method.upper()} {operation.path} ({mode.value})")

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case: Any) -> None:  # called at once, so `mode` is this iteration's
            response = case.call(base_url=base_url, headers=headers)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: "
                    f"{response.text[:200]}"
                )
            case.validate_response(response, checks=checks[mode])

        run()
    assert len(tested) >= 20
    assert failures == []
