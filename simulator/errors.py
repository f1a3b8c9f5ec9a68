"""The base of every Zoho error. Each service keeps its own catalogue in its ``errors.py``.

A route raises an error; the app's exception handler turns it into the service's exact reply.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from starlette.responses import Response

from simulator.http import json_response


class ZohoError(Exception, metaclass=ABCMeta):
    status_code = 400

    @abstractmethod
    def body(self) -> dict[str, Any]:
        """The service's own error shape."""

    def headers(self) -> dict[str, str]:
        return {}

    def response(self) -> Response:
        return json_response(self.body(), status_code=self.status_code, headers=self.headers())
