"""Errors that end a request, rendered in the API's own error format.

Every refusal Tollgate produces -- bad input, a policy block, a throttle, an
unreachable upstream -- is an :class:`ApiError`. Its JSON is OpenAI's error
shape (``{"error": {"message", "type", "param", "code"}}``), which every
supported dialect's clients understand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["ApiError", "error_body"]


def error_body(
    message: str,
    *,
    type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build OpenAI's error JSON; ``extra`` adds fields inside ``error``."""
    error: dict[str, Any] = {"message": message, "type": type, "param": param, "code": code}
    if extra:
        error.update(extra)
    return {"error": error}


class ApiError(Exception):
    """A request outcome that is an error response, not a crash.

    Raising it anywhere in the pipeline ends the request with ``status`` and
    the error JSON; ``headers`` are added to the response (``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """The error JSON as a dict."""
        return error_body(
            self.message, type=self.type, param=self.param, code=self.code, extra=self.extra
        )

    def body_bytes(self) -> bytes:
        """The error JSON, encoded."""
        return json.dumps(self.body()).encode()
