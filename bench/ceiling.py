"""The ceiling for this server stack: a bare Starlette app that answers each captured route with
the simulator's own reply, bytes and headers, serialised beforehand. It runs under uvicorn exactly
as ``zohosim serve`` does (same ``uvicorn.Config``, the same pre-bound socket from
``simulator.http.listen``, one process, one event loop), so that the only difference left is the
simulator's own work per request.

Run: python bench/ceiling.py CAPTURE.json    (CAPTURE: {"/path": {"body_file": F, "headers": [[k, v]]}})
It prints ``ceiling ready at URL`` once it listens.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_app(capture: dict[str, dict]) -> Starlette:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def endpoint_for(body: bytes, headers: dict[str, str]):
        media_type = headers.pop("content-type", None)

        async def endpoint(request: Request) -> Response:
            return Response(body, headers=headers, media_type=media_type)

        return endpoint

    routes = []
    for path, spec in capture.items():
        body = Path(spec["body_file"]).read_bytes()
        headers = {k.lower(): v for k, v in spec["headers"]}
        routes.append(Route(path, endpoint_for(body, headers), methods=["GET"]))
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("capture", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    import uvicorn

    from simulator.http import listen

    app = build_app(json.loads(args.capture.read_text()))
    sock = listen(args.host, args.port)
    host, port = sock.getsockname()[:2]
    print(f"ceiling ready at http://{host}:{port}", flush=True)
    # The very configuration `zohosim serve` uses (simulator/cli.py).
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
