"""The catalogue of Zoho Books errors: every reply is ``{"code": <int>, "message": <str>}``.

Codes, statuses and messages are those Zoho sends (research notes, §5.2); where the notes mark
one unverified, the choice is flagged on its class.
"""

from __future__ import annotations

from typing import Any

from simulator.errors import ZohoError


class BooksError(ZohoError):
    code: int = 0
    message: str = ""
    status_code = 400

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidValue(BooksError):
    """A query parameter or body field with a value Books rejects (``filter_by``, ``Payment Terms``…)."""

    code = 2

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field
        self.message = f"Invalid value passed for {field}"


class InvalidUrl(BooksError):
    code = 5
    status_code = 404
    message = "Invalid URL Passed"


class AuthenticationMissing(BooksError):
    """No ``Authorization`` header at all."""

    code = 14
    status_code = 401
    message = (
        "The request could not be authenticated as the authentication value you entered is invalid. "
        "Enter a valid authentication value and try again."
    )


class MethodNotAllowed(BooksError):
    # UNVERIFIED: Zoho documents HTTP 405 but no body; code 37 and this wording are a choice.
    code = 37
    status_code = 405
    message = "The HTTP method is not allowed for the requested resource"


class RateLimitPerMinute(BooksError):
    code = 44
    status_code = 429
    message = (
        "For security reasons your organization has been blocked as it have exceeded the maximum number "
        "of requests per minute that can originate from an organization."
    )


class DailyLimit(BooksError):
    code = 45
    status_code = 429

    def __init__(self, *, limit: int) -> None:
        super().__init__(limit)
        self.message = (
            f"The API call for this organization has exceeded the maximum call rate limit of {limit}."
        )


class NotAuthorized(BooksError):
    """A dead, expired or unknown token, or one without the operation's scope."""

    code = 57
    status_code = 401
    message = "You are not authorized to perform this operation"


class InternalError(BooksError):
    code = 1000
    status_code = 500
    message = "Internal error"


class DoesNotExist(BooksError):
    # The message is documented ("Invoice does not exist."); HTTP 404 is what clients and mocks expect.
    code = 1002
    status_code = 404

    def __init__(self, *, entity: str) -> None:
        super().__init__(entity)
        self.entity = entity
        self.message = f"{entity} does not exist."


class NotInCrm(DoesNotExist):
    """The CRM record a CRM-import endpoint names is not in the tenant's CRM org."""

    # UNVERIFIED: Zoho documents no error for these imports; code 1002 and this wording are a choice.

    def __init__(self, *, entity: str) -> None:
        super().__init__(entity=entity)
        self.message = f"{entity} does not exist in Zoho CRM."


class ConcurrencyLimit(BooksError):
    code = 1070
    status_code = 429
    message = (
        "You have reached the maximum number of in process requests allowed. "
        "Kindly try again after some time."
    )


class DuplicateName(BooksError):
    """The org disallows duplicate display names.

    The customer wording is seen live; the vendor wording is UNVERIFIED (the same, with "vendor").
    """

    code = 3062

    def __init__(self, *, name: str, contact_type: str) -> None:
        super().__init__(name)
        self.name = name
        self.message = f'The {contact_type} "{name}" already exists. Please specify a different name.'


class OrgNotAssociated(BooksError):
    """The token's user has no access to that organization: the only answer another tenant's org gets."""

    code = 6041

    def __init__(self, *, organization_id: str) -> None:
        super().__init__(organization_id)
        self.message = f"This user is not associated with the CompanyID/CompanyName:{organization_id}."


class DuplicateUniqueValue(BooksError):
    """A custom field that allows no duplicates already has this value on another record."""

    # UNVERIFIED: Zoho documents no error for this; code 1001 ("already exists") and the wording are a choice.
    code = 1001

    def __init__(self, *, label: str, value: str) -> None:
        super().__init__(label, value)
        self.message = f'The value "{value}" already exists for the custom field "{label}".'
