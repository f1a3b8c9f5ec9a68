"""A Starlette router that tries only the routes a path can match, in their declared order.

Starlette's ``Router`` tries every route in turn, a regex match each; with ~220 routes, Books'
contact list is the 157th and CRM's record list the 72nd, so finding the route cost more than
the rest of a small reply. ``IndexedRouter`` files each route under its literal path segments
(a tree: a segment is either a word, or a parameter that matches any one segment) and, for a
request, asks only the routes filed along the path's own segments, in the same order Starlette
would. Every route the index can't read (a parameter that may span ``/``, a host route) is always
asked, so the candidates are a superset of the routes that match: the route chosen, its path
parameters and any 405 are exactly Starlette's. A path no candidate matches goes to Starlette's
own scan, which then answers (its trailing-slash redirect or 404) as it always has.
"""

from __future__ import annotations

from starlette._utils import get_route_path  # what every route matches against
from starlette.convertors import FloatConvertor, IntegerConvertor, StringConvertor, UUIDConvertor
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

#: Parameters of these convertors match within one path segment. A subclass that changes the
#: regex (CRM's reserved-word segments, ``crm/urls.py``) must keep to one segment too.
_ONE_SEGMENT = (StringConvertor, IntegerConvertor, FloatConvertor, UUIDConvertor)
#: Candidate lists kept per path; most traffic repeats a few paths, record paths vary by id.
_MEMO_SIZE = 4096


class _Node:
    __slots__ = ("any", "ends", "mounts", "words")

    def __init__(self) -> None:
        self.words: dict[str, _Node] = {}
        self.any: _Node | None = None
        self.ends: list[int] = []  # routes whose path ends at this node
        self.mounts: list[int] = []  # mounts whose prefix ends here: they take any rest of the path

    def child(self, segment: str | None) -> _Node:
        if segment is None:
            self.any = self.any or _Node()
            return self.any
        return self.words.setdefault(segment, _Node())

    def collect(self, segments: list[str], at: int, found: list[int]) -> None:
        found.extend(self.mounts)
        if at == len(segments):
            found.extend(self.ends)
            return
        word = self.words.get(segments[at])
        if word is not None:
            word.collect(segments, at + 1, found)
        if self.any is not None:
            self.any.collect(segments, at + 1, found)


class IndexedRouter(Router):
    """``Router`` with the same routes and answers, asking only the routes a path can match.

    The index is built from ``routes`` once: add every route before the first request.
    """

    def __init__(self, routes: list[BaseRoute]) -> None:
        super().__init__(routes)
        self._root = _Node()
        self._always: list[int] = []
        for at, route in enumerate(self.routes):
            node = self._file(route)
            if node is None:
                self._always.append(at)
            elif isinstance(route, Mount):
                node.mounts.append(at)
            else:
                node.ends.append(at)
        self._memo: dict[str, tuple[BaseRoute, ...]] = {}

    def _file(self, route: BaseRoute) -> _Node | None:
        """The node a route belongs under, or None when its path can't be read segment by segment."""
        if not isinstance(route, Route | Mount):
            return None
        if isinstance(route, Mount) and "{" in route.path:
            return None
        convertors = route.param_convertors.values() if isinstance(route, Route) else ()
        if not all(isinstance(convertor, _ONE_SEGMENT) for convertor in convertors):
            return None
        node = self._root
        for segment in route.path.split("/"):
            node = node.child(None if "{" in segment else segment)
        return node

    def candidates(self, path: str) -> tuple[BaseRoute, ...]:
        """The routes that may match ``path``, in declared order."""
        known = self._memo.get(path)
        if known is not None:
            return known
        found = list(self._always)
        self._root.collect(path.split("/"), 0, found)
        routes = tuple(self.routes[at] for at in sorted(set(found)))
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[path] = routes
        return routes

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        partial: BaseRoute | None = None
        partial_scope: Scope = {}
        for route in self.candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope.setdefault("router", self)
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None:
            scope.setdefault("router", self)
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await super().app(scope, receive, send)
