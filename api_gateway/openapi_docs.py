"""OpenAPI for raw-body routes: the routes read the raw bytes (signatures come first), so the
request models are registered here and hoisted into ``components.schemas`` by hand."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

_MODELS: dict[str, type[BaseModel]] = {}
REF = "#/components/schemas/{model}"


class ErrorBody(BaseModel):
    error: str
    detail: str
    errors: list[dict[str, Any]] | None = None


class Accepted(BaseModel):
    event_id: str
    duplicate: bool = False
    event_ids: list[str] | None = None
    duplicates: int | None = None
    recorded: bool | None = None


class Duplicate(BaseModel):
    duplicate: bool = True
    event_id: str


def request_body(model: type[BaseModel], example: dict[str, Any] | None = None) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body of ``model``."""
    _MODELS[model.__name__] = model
    media: dict[str, Any] = {"schema": {"$ref": REF.format(model=model.__name__)}}
    if example is not None:
        media["example"] = example
    return {"requestBody": {"required": True, "content": {"application/json": media}}}


def error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


STANDARD_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": Accepted, "description": "Accepted and enqueued (or recorded)."},
    200: {"model": Duplicate, "description": "Already received: not enqueued again."},
    401: error("Missing or wrong secret or signature."),
    404: error("Unknown account."),
    413: error("Body over the size limit."),
    415: error("Body is not JSON."),
    422: error("Invalid payload: `errors` lists each field."),
    503: error("Redis (or the account store) unreachable: retry after `Retry-After` seconds."),
}


def install(api: FastAPI) -> None:
    def custom_openapi() -> dict[str, Any]:
        if api.openapi_schema:
            return api.openapi_schema
        schema = get_openapi(
            title=api.title, version=api.version, description=api.description, routes=api.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, model in _MODELS.items():
            js = model.model_json_schema(ref_template=REF)
            for def_name, def_schema in js.pop("$defs", {}).items():
                components.setdefault(def_name, def_schema)
            components[name] = js
        api.openapi_schema = schema
        return schema

    api.openapi = custom_openapi  # type: ignore[method-assign]
