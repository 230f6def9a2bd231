"""A real API server in its own thread and event loop, with its own runtime, for tests that talk to it
with blocking clients (hypothesis) or need settings of their own (rate limits, production, timeout).

The server counts what reaches the database (SQLAlchemy `before_cursor_execute` on its engine) and
the search engine (every request through its client's transport); it runs no indexer, so every
statement and search it counts comes from an HTTP request.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import uvicorn
from sqlalchemy import event

from credit.platform.config import Settings
from credit.platform.runtime import Runtime, SearchMode, open_runtime
from creditgraph.wiring import create_app
from tests.conftest import free_port

T = TypeVar("T")


class ThreadedServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self.statements: list[str] = []
        self.search_requests: list[str] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._server: uvicorn.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.runtime: Runtime | None = None
        self.http = httpx.Client(timeout=60)
        self._thread = threading.Thread(target=self._run, name=f"api-{self.port}", daemon=True)

    def activity(self) -> tuple[int, int]:
        """(SQL statements, search requests) counted so far."""
        return len(self.statements), len(self.search_requests)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the server's loop (with its runtime) and wait for its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _on_statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def _count_search(self, runtime: Runtime) -> None:
        assert runtime.search is not None
        transport = runtime.search.transport
        perform = transport.perform_request

        async def counted(method: str, target: str, *args: Any, **kwargs: Any) -> Any:
            self.search_requests.append(f"{method} {target}")
            return await perform(method, target, *args, **kwargs)

        transport.perform_request = counted  # type: ignore[method-assign]

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        async with open_runtime(self.settings, search=SearchMode.CONNECT) as runtime:
            self.runtime = runtime
            self._loop = asyncio.get_running_loop()
            event.listen(runtime.engine.sync_engine, "before_cursor_execute", self._on_statement)
            self._count_search(runtime)
            app = create_app(self.settings, runtime=runtime, run_worker=False)
            config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", proxy_headers=False)
            self._server = uvicorn.Server(config)
            task = asyncio.create_task(self._server.serve())
            while not self._server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
            self._ready.set()
            await task

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(60):
            raise TimeoutError("the threaded API server did not start")
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self.http.close()
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(30)


@contextmanager
def threaded_server(settings: Settings, **overrides: Any) -> Iterator[ThreadedServer]:
    server = ThreadedServer(settings.model_copy(update=overrides))
    server.start()
    try:
        yield server
    finally:
        server.stop()
