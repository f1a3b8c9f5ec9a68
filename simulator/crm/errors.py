"""The catalogue of Zoho CRM errors: one class per code, each defined once.

A CRM error has one shape, ``{"code", "details", "message", "status": "error"}``, whether it is
the whole reply (a top-level error, with its own HTTP status) or one item of a ``{"data": [...]}``
reply to a write (a per-record error).  ``body()`` gives that shape for both uses; ``DataErrors``
wraps items for the replies whose every record failed.

Codes, messages, details and statuses follow ``shared/research/zoho-crm-api.md`` (§1.3 to 1.7, §2);
where the research gives no message, the wording comes from Zoho's published examples of the same
code (TOKEN_BOUND_DATA_MISMATCH, EXPIRED_VALUE, UNABLE_TO_PARSE_DATA_TYPE, AMBIGUITY_DURING_PROCESSING).
"""

from __future__ import annotations

from typing import Any, ClassVar

from simulator.errors import ZohoError


class CrmError(ZohoError):
    code: ClassVar[str]
    default_message: ClassVar[str]

    def __init__(self, details: dict[str, Any] | None = None, *, message: str | None = None) -> None:
        self.details = details if details is not None else {}
        self.message = message or self.default_message
        super().__init__(f"{self.code}: {self.message} {self.details}")

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}


class DataErrors(ZohoError):
    """A write whose every record failed: HTTP 400 with the per-record errors inside ``data``
    (or inside ``key``: a composite request's bad sub-requests are listed in ``__composite_requests``)."""

    def __init__(self, errors: list[CrmError], *, key: str = "data") -> None:
        super().__init__(", ".join(error.code for error in errors))
        self.errors = errors
        self.key = key

    def body(self) -> dict[str, Any]:
        return {self.key: [error.body() for error in self.errors]}


def field_path(api_name: str, index: int, *, wrapper: str = "data") -> dict[str, Any]:
    """The details naming a field of the ``index``-th item of a request body's ``wrapper`` list."""
    return {"api_name": api_name, "json_path": f"$.{wrapper}[{index}].{api_name}"}


class InvalidModule(CrmError):
    """An unknown module in the path (``resource_path_index``) or in the ``module`` parameter."""

    code = "INVALID_MODULE"
    default_message = "the module name given seems to be invalid"

    def __init__(self, details: dict[str, Any] | None = None) -> None:
        super().__init__(details or {"resource_path_index": 0})

    @classmethod
    def path(cls, resource_path_index: int) -> InvalidModule:
        return cls({"resource_path_index": resource_path_index})

    @classmethod
    def param(cls) -> InvalidModule:
        return cls({"param_name": "module"})


class InvalidUrlPattern(CrmError):
    status_code = 404
    code = "INVALID_URL_PATTERN"
    default_message = "Please check if the URL trying to access is a correct one"


class InvalidRequestMethod(CrmError):
    code = "INVALID_REQUEST_METHOD"
    default_message = "The http request method type is not a valid one"


class RequiredParamMissing(CrmError):
    code = "REQUIRED_PARAM_MISSING"
    default_message = "One of the expected parameter is missing"

    def __init__(self, param_name: str) -> None:
        super().__init__({"param_name": param_name})


class LimitExceeded(CrmError):
    code = "LIMIT_EXCEEDED"
    default_message = "limit exceeded"

    @classmethod
    def param(cls, param_name: str, limit: int) -> LimitExceeded:
        return cls({"limit": limit, "param_name": param_name})

    @classmethod
    def clause(cls, clause: str, limit: int) -> LimitExceeded:
        """COQL: a clause over its documented cap (select columns, criteria, order by, limit, offset)."""
        return cls({"clause": clause, "limit": limit})

    @classmethod
    def records(cls, limit: int = 100) -> LimitExceeded:
        """Too many records in a write body; Zoho reports it as a per-record item."""
        return cls(
            {"maximum_length": limit, "api_name": "data"},
            message="count of records in your request exceeds the limit",
        )


class InvalidData(CrmError):
    code = "INVALID_DATA"
    default_message = "invalid data"

    @classmethod
    def param(cls, param_name: str, **extra: Any) -> InvalidData:
        return cls({"param_name": param_name, **extra})

    @classmethod
    def field(cls, api_name: str, index: int, **extra: Any) -> InvalidData:
        """A bad value in a record: ``expected_data_type``/``maximum_length`` go in ``extra``."""
        return cls({**extra, **field_path(api_name, index)})

    @classmethod
    def invalid_id(cls, details: dict[str, Any]) -> InvalidData:
        return cls(details, message="the id given seems to be invalid")

    @classmethod
    def relation(cls) -> InvalidData:
        """A related list the module does not have (or one that cannot be changed through the list)."""
        return cls({"resource_path_index": 2}, message="The relation name given seems to be invalid")

    @classmethod
    def related_id(cls, record_id: str) -> InvalidData:
        return cls({"id": record_id}, message="the related id given seems to be invalid")

    @classmethod
    def not_deleted(cls, record_id: str) -> InvalidData:
        return cls({"id": record_id}, message="record not deleted")


class MandatoryNotFound(CrmError):
    code = "MANDATORY_NOT_FOUND"
    default_message = "required field not found"

    def __init__(
        self,
        api_name: str,
        index: int | None = None,
        *,
        json_path: str | None = None,
        wrapper: str = "data",
    ) -> None:
        """A field of the ``index``-th record (of ``wrapper``), or any key of a body at ``json_path``."""
        details = field_path(api_name, index, wrapper=wrapper) if index is not None else {}
        super().__init__(details or {"api_name": api_name, "json_path": json_path or f"$.{api_name}"})


class DuplicateData(CrmError):
    code = "DUPLICATE_DATA"
    default_message = "duplicate data"


class InvalidToken(CrmError):
    status_code = 401
    code = "INVALID_TOKEN"
    default_message = "invalid oauth token"


class AuthenticationFailure(CrmError):
    status_code = 401
    code = "AUTHENTICATION_FAILURE"
    default_message = "Authentication failed"


class OauthScopeMismatch(CrmError):
    status_code = 401
    code = "OAUTH_SCOPE_MISMATCH"
    default_message = "Unauthorized"


class NoPermission(CrmError):
    status_code = 403
    code = "NO_PERMISSION"
    default_message = "permission denied"


class DiscretePaginationLimitExceeded(CrmError):
    code = "DISCRETE_PAGINATION_LIMIT_EXCEEDED"
    default_message = "You can only get the first 2000 records without using page_token param"

    def __init__(self, limit: int = 2000) -> None:
        super().__init__({"limit": limit})


class PaginationLimitExceeded(CrmError):
    code = "PAGINATION_LIMIT_EXCEEDED"
    default_message = "You can only get upto 100000 records using page_token param"

    def __init__(self) -> None:
        super().__init__({"param_name": "page_token"})


class AmbiguityDuringProcessing(CrmError):
    code = "AMBIGUITY_DURING_PROCESSING"
    default_message = "Ambiguity while processing"

    def __init__(self, *param_names: str, message: str | None = None) -> None:
        super().__init__(
            {"ambiguity_due_to": [{"param_name": name} for name in param_names]}, message=message
        )


class TokenBoundDataMismatch(CrmError):
    code = "TOKEN_BOUND_DATA_MISMATCH"
    default_message = "The page_token given seems to be invalid or input param is added or altered or deleted"

    def __init__(self) -> None:
        super().__init__({"param_name": "page_token"})


class ExpiredValue(CrmError):
    code = "EXPIRED_VALUE"
    default_message = "Page token expired"

    def __init__(self) -> None:
        super().__init__({"api_name": "page_token", "json_path": "$.query.page_token"})


class ExpectedParamMissing(CrmError):
    code = "EXPECTED_PARAM_MISSING"
    default_message = "mandatory param missing"

    def __init__(self, *param_names: str) -> None:
        super().__init__({"param_names": list(param_names)})


class InvalidQuery(CrmError):
    code = "INVALID_QUERY"
    default_message = "invalid query formed"

    @classmethod
    def column(cls, column_name: str) -> InvalidQuery:
        """COQL: a column the module does not have (the COQL document's message)."""
        return cls({"column_name": column_name}, message="column given seems to be invalid")

    @classmethod
    def value(cls, column_name: str, expected_data_type: str) -> InvalidQuery:
        return cls(
            {"column_name": column_name, "expected_data_type": expected_data_type},
            message="value given seems to be invalid for the column",
        )

    @classmethod
    def data_type(cls, column_name: str, data_type: str, operator: str) -> InvalidQuery:
        """COQL: an operator the column's type does not take (``like`` on a number, ``>`` on text)."""
        return cls(
            {"column_name": column_name, "data_type": data_type, "operator": operator},
            message="data type not supported",
        )


class CoqlSyntaxError(CrmError):
    """A COQL query that does not parse: where (``line``, ``column``, ``near``), as Zoho reports it."""

    code = "SYNTAX_ERROR"
    default_message = "invalid query formed"

    def __init__(self, *, column: int, near: str) -> None:
        super().__init__({"line": 1, "column": column, "near": near})


class LimitReached(CrmError):
    code = "LIMIT_REACHED"
    default_message = "maximum response iteration limit reached"

    def __init__(self, limit: int = 2000) -> None:
        super().__init__({"limit": str(limit)})


class UnableToParseDataType(CrmError):
    code = "UNABLE_TO_PARSE_DATA_TYPE"
    default_message = "either the request body or parameters is in wrong format"


class TooManyRequests(CrmError):
    """Credits or concurrency exhausted; ``retry_after`` (seconds) becomes a ``Retry-After`` header."""

    status_code = 429
    code = "TOO_MANY_REQUESTS"
    default_message = (
        "Number of API requests for the 24 hour period is exceeded "
        "or the concurrency limit of the user for the app is exceeded"
    )

    def __init__(self, *, retry_after: int | None = None) -> None:
        super().__init__()
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class NotSubscribed(CrmError):
    """A notification channel id that has no subscription (update, disable or delete it)."""

    code = "NOT_SUBSCRIBED"
    default_message = "Not subscribed for actions-watch of the given channel"

    def __init__(self, channel_id: str) -> None:
        super().__init__({"channel_id": channel_id})


class InternalError(CrmError):
    status_code = 500
    code = "INTERNAL_ERROR"
    default_message = "Internal Server Error"


# -- the composite API (``POST /__composite_requests``; composite_requests.json) -------------------


class NotSupported(CrmError):
    code = "NOT_SUPPORTED"
    default_message = "the given API is not supported in composite requests"


class InvalidReference(CrmError):
    code = "INVALID_REFERENCE"
    default_message = "the reference given seems to be invalid"


class LoopingFound(CrmError):
    code = "LOOPING_FOUND"
    default_message = "the sub-requests refer to each other in a loop"


class ProcessingStopped(CrmError):
    """A sub-request left unexecuted because an earlier one failed under ``rollback_on_fail``."""

    code = "PROCESSING_STOPPED"
    default_message = "processing stopped as a previous sub-request failed"


class RollbackPerformed(CrmError):
    """A sub-request whose changes were undone because the sub-request at ``index`` failed."""

    code = "ROLLBACK_PERFORMED"
    default_message = "rollback performed"

    def __init__(self, index: int) -> None:
        super().__init__({"rollbacked_by_sub_request_index": index})


# -- bulk read (``/crm/bulk/{version}/read``; bulk_read.json) --------------------------------------


class ResourceNotFound(CrmError):
    status_code = 404
    code = "RESOURCE_NOT_FOUND"
    default_message = "the requested resource doesn't exist"

    def __init__(self, resource: str, *, status_code: int = 404) -> None:
        super().__init__({"resource": resource})
        self.status_code = status_code


class RequestBodyIsEmpty(CrmError):
    code = "REQUEST_BODY_IS_EMPTY"
    default_message = "the request body is empty"


class RequestBodyNotReadable(CrmError):
    code = "REQUEST_BODY_NOT_READABLE"
    default_message = "the request body is not readable"


class InvalidCriteria(CrmError):
    code = "INVALID_CRITERIA"
    default_message = "the criteria given seems to be invalid"


class FieldNotAvailable(CrmError):
    code = "FIELD_NOT_AVAILABLE"
    default_message = "the field given is not available in the module"

    def __init__(self, api_name: str, module: str) -> None:
        super().__init__({"api_name": api_name, "module": module})


class PageRangeExceeded(CrmError):
    code = "PAGE_RANGE_EXCEEDED"
    default_message = "the page given exceeds the allowed range"

    def __init__(self, max_limit: int) -> None:
        super().__init__({"max_limit": max_limit})


class InvalidCallbackUrl(CrmError):
    code = "INVALID_CALLBACK_URL"
    default_message = "the callback URL given seems to be invalid"


class InvalidCallbackMethod(CrmError):
    code = "INVALID_CALLBACK_METHOD"
    default_message = "the callback method must be post"


class ModuleNotSupported(CrmError):
    code = "MODULE_NOT_SUPPORTED"
    default_message = "the module given is not supported for bulk read"
