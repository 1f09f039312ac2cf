"""Answers and raw-body handling shared by every route: one error shape, size and type checks."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response


class GatewayError(Exception):
    """An answer other than success: status, a stable code and a message saying what is wrong."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> Response:
        body: dict[str, Any] = {"error": self.code, "detail": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return json_response(body, self.status, self.headers)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def unavailable(message: str, retry_after: int) -> GatewayError:
    return GatewayError(503, "unavailable", message, headers={"Retry-After": str(retry_after)})


def validate_model(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """``model`` validated from ``data``, or the 422 that lists the invalid fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def validation_error(exc: ValidationError) -> GatewayError:
    """422 listing each invalid field; never echoes the input (it may hold a secret)."""
    errors = [
        {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    fields = ", ".join(".".join(e["loc"]) or "body" for e in errors[:5])
    return GatewayError(422, "invalid_payload", f"invalid fields: {fields}", errors=errors)


def invalid(loc: str, msg: str) -> GatewayError:
    return GatewayError(
        422,
        "invalid_payload",
        f"invalid fields: {loc}",
        errors=[{"loc": loc.split("."), "msg": msg, "type": "value_error"}],
    )


def check_content_type(request: Request) -> None:
    """415 unless the body is declared JSON (a missing Content-Type is tolerated)."""
    ctype = request.headers.get("content-type")
    if ctype is None:
        return
    media = ctype.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return
    raise GatewayError(
        415,
        "unsupported_media_type",
        f"Content-Type must be application/json, got {media or 'nothing'!r}",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 past ``limit`` (declared length and streamed size)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def too_large(limit: int) -> GatewayError:
    return GatewayError(413, "payload_too_large", f"body larger than {limit} bytes")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object: 415 when it is not JSON, 422 when it is not an object."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise GatewayError(415, "not_json", f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise GatewayError(
            422,
            "invalid_payload",
            "body must be a JSON object",
            errors=[{"loc": ["body"], "msg": "must be a JSON object", "type": "dict_type"}],
        )
    return data
