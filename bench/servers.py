"""Servers for the benchmarks: each in a process of its own, as a real mockpace runs, so the
client's work (HTTP, JSON parsing) never shares a GIL with the server's."""

from __future__ import annotations

import multiprocessing
import socket
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

from mockpace.testing.plugin import free_port


def start(target: Callable[..., None], *args: Any) -> tuple[BaseProcess, int]:
    """Fork ``target(*args, port)`` (it must serve on 127.0.0.1:port) and wait until the port
    accepts connections."""
    port = free_port()
    process = multiprocessing.get_context("fork").Process(target=target, args=(*args, port),
                                                         daemon=True)
    process.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start")


def run_uvicorn(app: Any, port: int) -> None:
    """Serve ``app`` with uvicorn's defaults (one worker), quietly."""
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def run_floors(connect: Callable[[], Any], floors: dict[str, Callable[[Any], tuple[int, str]]],
               port: int) -> None:
    """The served floor: a bare FastAPI app answering ``GET /floor/{name}`` with the JSON text
    of ``floors[name](connection)`` (hand-written SQL + json.dumps), on uvicorn as mockpace
    runs. Like mockpace's Reporting route, each request runs in the thread pool, on that
    thread's own connection from ``connect()``; the query string is ignored."""
    import threading

    from fastapi import FastAPI
    from starlette.responses import Response

    app = FastAPI()
    local = threading.local()

    @app.get("/floor/{name}")
    def floor(name: str) -> Response:
        if not hasattr(local, "conn"):
            local.conn = connect()
        return Response(floors[name](local.conn)[1], media_type="application/json")

    run_uvicorn(app, port)
