"""The gateway's ASGI app (FastAPI). Routes live in api_gateway/routes_*.py."""

from __future__ import annotations

from fastapi import FastAPI

from workers.celery_app import app as celery_app


def create_app() -> FastAPI:
    api = FastAPI(title="LeadOps webhook gateway", version="0.1.0")

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
        return {"status": "ok"}

    return api


app = create_app()
