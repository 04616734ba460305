"""The FastAPI application: wires the engine, the channels and the admin API together.

``create_app(settings)`` is the one composition root: it loads and validates the deployment
config, opens the stores, seeds the tenant directory, and mounts every router.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import ValidationError

from chatflow.admin_api import (
    problems,
    routes_accounts,
    routes_auth,
    routes_batch,
    routes_flows,
    routes_groups,
    routes_permission_groups,
    routes_records,
    routes_sites,
    routes_stats,
)
from chatflow.admin_api.auth import AuthService
from chatflow.admin_api.passwords import hash_password
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.config import DeploymentConfig
from chatflow.engine.directory import import_config
from chatflow.engine.errors import DefinitionError
from chatflow.engine.flowversions import seed_flow_versions
from chatflow.engine.language import model_problems
from chatflow.engine.stores.recordsdb import create_tables, records_engine
from chatflow.engine.yamlsource import load_path
from chatflow.nodes import LANGUAGE


def load_config(settings: ServeSettings) -> DeploymentConfig:
    """Read ``chatflow.yaml``; every problem is reported at its place."""
    doc = load_path(settings.config)
    try:
        return DeploymentConfig.model_validate(doc.data or {})
    except ValidationError as exc:
        raise DefinitionError(
            f"{settings.config} is not a valid deployment config", model_problems(doc, exc)
        ) from None


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(settings: ServeSettings) -> FastAPI:
    """Build the application for ``settings`` (nothing is opened until the app starts)."""
    config = load_config(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.database_url is None:
            settings.data.mkdir(parents=True, exist_ok=True)
        engine = records_engine(settings.records_url)
        create_tables(engine)
        import_config(
            engine,
            config,
            env=settings.env,
            hash_password=hash_password,
            source=str(settings.config),
        )
        seed_flow_versions(engine, settings.config.parent / config.flows, LANGUAGE)
        app.state.records = engine
        app.state.auth = AuthService(engine, utcnow)
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="chatflow",
        version="0.1.0",
        summary="Customer-service chat engine: visitor channels, agents and admin API.",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(routes_auth.router)
    app.include_router(routes_accounts.router)
    app.include_router(routes_accounts.me_router)
    app.include_router(routes_permission_groups.router)
    app.include_router(routes_sites.router)
    app.include_router(routes_groups.router)
    app.include_router(routes_flows.router)
    app.include_router(routes_stats.router)
    app.include_router(routes_records.router)
    app.include_router(routes_batch.router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
