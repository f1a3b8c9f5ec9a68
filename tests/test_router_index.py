"""The route index (``simulator/router_index.py``) never leaves out a route that matches a path.

Its candidates are a superset, in declared order, of the routes whose path matches: then the
route Starlette's scan would pick (first full match, else first method-only match) is picked.
Paths are built from every route's own template with each segment swapped for words that
matter to routing (reserved words, other routes' words, empty segments), and at random.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Mount, Route

from simulator.app import create_app
from simulator.router_index import IndexedRouter

APP = create_app()
_router = APP.router
assert isinstance(_router, IndexedRouter)
ROUTER: IndexedRouter = _router
ROUTES = [route for route in ROUTER.routes if isinstance(route, Route | Mount)]
assert ROUTER.routes == ROUTES
WORDS = sorted(
    {"", "x", "123", "1.5", "v8", "Accounts", "console", "static", "app.css"}
    | {
        segment
        for route in ROUTES
        if isinstance(route, Route)
        for segment in route.path.split("/")
        if "{" not in segment
    }
)
AT_DEPTH: dict[int, set[str]] = {}
for _route in ROUTES:
    for _at, _segment in enumerate(_route.path.split("/")):
        if "{" not in _segment:
            AT_DEPTH.setdefault(_at, set()).add(_segment)


def _matching(path: str) -> list[int]:
    """Indexes of every route whose path matches, as Starlette's scan sees it (for a Route or a
    Mount, ``matches`` is not NONE exactly when its path regex matches)."""
    return [at for at, route in enumerate(ROUTES) if route.path_regex.match(path)]


def _assert_covered(path: str) -> None:
    candidates = ROUTER.candidates(path)
    positions = [ROUTER.routes.index(route) for route in candidates]
    assert positions == sorted(positions), path
    missing = set(_matching(path)) - set(positions)
    assert not missing, f"{path}: {[ROUTES[at].path for at in sorted(missing)]}"


def _variants(template: str) -> set[str]:
    """The template with its parameters filled, then each segment swapped for each word some route
    has at that depth (or an empty segment), and the same cut one segment short or one long."""
    filled = [("x" if "{" in segment else segment) for segment in template.split("/")]
    paths = {"/".join(filled), "/".join(filled[:-1]), "/".join([*filled, "x"])}
    for at in range(1, len(filled)):
        for word in AT_DEPTH.get(at, set()) | {"", "x"}:
            paths.add("/".join([*filled[:at], word, *filled[at + 1 :]]))
    return paths


def test_every_route_is_found_for_its_own_paths_and_their_neighbours() -> None:
    paths = set().union(*(_variants(route.path) for route in ROUTES))
    assert len(paths) > 5_000
    for path in paths:
        _assert_covered(path)


@given(st.lists(st.sampled_from(WORDS), max_size=10))
def test_any_path_of_known_words_is_covered(segments: list[str]) -> None:
    _assert_covered("/" + "/".join(segments))


def test_the_index_asks_few_routes() -> None:
    """What it is for: Books' contact list is the 157th route, CRM's record list the 72nd."""
    assert len(ROUTER.candidates("/books/v3/contacts")) <= 3
    assert len(ROUTER.candidates("/crm/v8/Accounts")) <= 6
    assert len(ROUTER.candidates("/crm/v8/Accounts/123")) <= 10


def test_a_method_only_match_still_answers_405_and_an_unknown_path_404() -> None:
    from simulator.testing import in_process_client

    with in_process_client(APP) as client:
        assert client.post("/crm/v8/org").json()["code"] == "INVALID_REQUEST_METHOD"
        assert client.get("/crm/v8/settings/nope").json()["code"] == "INVALID_URL_PATTERN"
        assert client.delete("/books/v3/organizations").status_code == 405
        assert client.get("/__zohosim/nope").status_code == 404
