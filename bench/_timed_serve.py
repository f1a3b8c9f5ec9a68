"""``zohosim serve`` whose app is wrapped in a timer: the time the simulator spends handling each
API request (accounts, CRM, Books; from the ASGI call to its return, routing, gate, log and
reply included; HTTP parsing by uvicorn not) is summed, and ``GET /__bench/serve-time`` tells it
(``DELETE`` resets it), with a count of
calls by service and method. Everything else is exactly ``zohosim serve`` with the same arguments.

Run: python bench/_timed_serve.py serve --port 0 [zohosim serve flags]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from simulator.tenants import Simulator

_PATH = "/__bench/serve-time"
_API = ("/crm/", "/books/", "/oauth/")


class Timed:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.seconds = 0.0
        self.requests = 0
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:  # app.state and the like
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == _PATH:
            if scope["method"] == "DELETE":
                self.seconds, self.requests, self.calls = 0.0, 0, {}
            body = orjson.dumps({"seconds": self.seconds, "requests": self.requests, "calls": self.calls})
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if not scope["path"].startswith(_API):
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seconds += time.perf_counter() - began
            self.requests += 1
            key = f"{scope['path'].split('/')[1]} {scope['method']}"
            self.calls[key] = self.calls.get(key, 0) + 1


def main() -> int:
    import simulator.app
    from simulator import cli

    create_app = simulator.app.create_app

    def timed_app(simulator: Simulator | None = None) -> Starlette:  # create_app's signature
        # Timed stands in for the app: it hands every attribute but the call (app.state...) to it
        return cast("Starlette", Timed(create_app(simulator)))

    simulator.app.create_app = timed_app
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
