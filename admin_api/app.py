"""The FastAPI application: wires the engine, the channels and the admin API together.

``create_app(settings)`` is the one composition root: it loads and validates the deployment
config, opens the stores, seeds the tenant directory, and mounts every router.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from chatflow.admin_api import (
    agent_marks,
    agent_socket,
    problems,
    routes_accounts,
    routes_agents,
    routes_auth,
    routes_batch,
    routes_channels,
    routes_flow_try,
    routes_flows,
    routes_groups,
    routes_permission_groups,
    routes_quick_replies,
    routes_record_exports,
    routes_records,
    routes_session_visitor,
    routes_sites,
    routes_stats,
    routes_tags,
    routes_visitors,
    routes_words,
    routes_workbench_apps,
    scaleout,
)
from chatflow.admin_api.auth import AuthService
from chatflow.admin_api.channel_wiring import build_channels
from chatflow.admin_api.housekeeping import Housekeeping
from chatflow.admin_api.live_services import LiveServices
from chatflow.admin_api.passwords import hash_password, password_problems
from chatflow.admin_api.services import Services
from chatflow.admin_api.settings import ServeSettings
from chatflow.channels import web
from chatflow.channels.captcha import Captcha
from chatflow.channels.image_blobs import DatabaseBlobs
from chatflow.channels.visitor_tokens import VisitorTokens
from chatflow.channels.web import VisitorChannel
from chatflow.engine.clock import Clock, SystemClock
from chatflow.engine.deployment import read_config
from chatflow.engine.directory import import_config
from chatflow.engine.flowfiles import compare_flow_files
from chatflow.engine.flowversions import seed_flow_versions
from chatflow.engine.stores.recordsdb import create_tables, records_engine, startup_lock
from chatflow.engine.yamlsource import load_path
from chatflow.nodes import LANGUAGE

logger = logging.getLogger(__name__)

STAFF_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
"""The staff pages' Content-Security-Policy: their own files, images and API only, never
framed."""
WORKBENCH_FRAMES = routes_workbench_apps.frame_sources()
"""The workbench also frames the merchant's apps (docs/workbench.md, "Apps beside the
conversation"): any https page, or a page on this machine (local development); which ones is
the admin's choice (``/admin/workbench-apps``), never a visitor's."""
STAFF_PAGES = ("workbench", "editor", "console")
"""The staff pages, each served at ``/<name>`` from ``admin_api/static/<name>.html``: the agent
workbench (docs/workbench.md), the flow editor (docs/editor.md), the admin console
(docs/console.md)."""


def _staff_page(path: Traversable, policy: str) -> Callable[[], Awaitable[FileResponse]]:
    """The route answering a staff page, with the staff pages' headers."""
    headers = {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"}

    async def page() -> FileResponse:
        return FileResponse(str(path), media_type="text/html", headers=headers)

    return page


def utcnow() -> datetime:
    return datetime.now(UTC)


def _import_flow_files(engine: Engine, folder: Path, publish: bool, now: datetime) -> None:
    """The flow files into the flows' versions: imported at the first start, and a file
    changed since said (saved as a draft, or published with ``--publish-flows``)."""
    for line in seed_flow_versions(engine, folder, LANGUAGE, now=now):
        level = logging.INFO if ": published version " in line else logging.WARNING
        logger.log(level, "flows.imported: %s", line)
    for note in compare_flow_files(engine, folder, LANGUAGE, publish=publish, now=now):
        level = logging.WARNING if note.level == "warning" else logging.INFO
        logger.log(level, "%s: %s", note.event, note.text)


def create_app(settings: ServeSettings, *, clock: Clock | None = None) -> FastAPI:
    """Build the application for ``settings`` (nothing is opened until the app starts)."""
    config = read_config(settings.config)
    if settings.database_url is None:
        settings.data.mkdir(parents=True, exist_ok=True)
    engine = records_engine(settings.records_url)
    shared = scaleout.shared(settings, config.limits)  # in-process, or Redis with --redis
    services = Services(
        config,
        engine,
        shared.store,
        clock or SystemClock(),
        queue_log=shared.queue_log,
        queue_file=shared.queue_file,
        queue_turn=shared.queue_turn,
    )
    services.feed = shared.feed
    channel = VisitorChannel(
        runtime=services.runtime,
        feed=services.feed,
        tokens=VisitorTokens(shared.visitor_secret),
        backend=services,
        session_limiter=shared.session_limiter,
        message_limiter=shared.message_limiter,
        agent_messages=routes_agents.agent_message,
        captcha=Captcha(
            shared.visitor_secret, services.clock, DatabaseBlobs(engine), shared.captcha_used
        ),
    )

    extra_channels = build_channels(settings, services, engine, channel.tokens)
    extra_channels.images.agent_images = routes_agents.agent_image

    housekeeping = Housekeeping(
        config.retention, services.runtime, engine, extra_channels.images.blobs, services.clock
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with startup_lock(engine):  # workers starting together on PostgreSQL take turns
            create_tables(engine)
            imported = import_config(
                engine,
                config,
                env=settings.env,
                hash_password=hash_password,
                source=str(settings.config),
                document=load_path(settings.config),  # a missing password at its agent's line
                now=services.clock.now(),
                password_rule=password_problems,  # as the console refuses it typed by hand
            )
            if imported.created:  # what the database lacked; later starts create nothing
                logger.info(
                    "config.imported",
                    extra={"source": str(settings.config), "imported": ", ".join(imported.created)},
                )
            folder = settings.config.parent / config.flows
            _import_flow_files(engine, folder, settings.publish_flows, services.clock.now())
        await shared.start()
        await services.start()
        await extra_channels.start()
        sweeping = asyncio.create_task(housekeeping.run())
        try:
            yield
        finally:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
            channel.closing.set()
            await extra_channels.aclose()
            await services.aclose()
            await shared.aclose()
            engine.dispose()

    app = FastAPI(
        title="chatflow",
        version="0.1.0",
        summary="Customer-service chat engine: visitor channels, agents and admin API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.public_url = config.server.public_url  # the sites API's chat_url and widget_src
    app.state.records = engine
    app.state.try_limits = shared.try_limits  # the editor's Try (try_limits.py)
    app.state.auth = auth = AuthService(
        engine, utcnow, per_account=shared.login_per_account, per_ip=shared.login_per_ip
    )
    services.hub.watch_tokens(auth.on_revoke, auth.resolve)
    app.state.services = services
    app.state.housekeeping = housekeeping
    app.state.clock = services.clock  # "now" of the records' and statistics' default ranges
    app.state.live = LiveServices(services)
    app.state.visitor_channel = channel
    problems.install(app)
    app.include_router(routes_auth.router)
    app.include_router(routes_accounts.router)
    app.include_router(routes_accounts.me_router)
    app.include_router(routes_permission_groups.router)
    app.include_router(routes_sites.router)
    app.include_router(routes_groups.router)
    app.include_router(routes_flows.router)
    app.include_router(routes_flow_try.router)
    app.include_router(routes_record_exports.router)  # before /records/{session_id}
    app.include_router(routes_records.router)
    app.include_router(routes_batch.router)
    app.include_router(routes_stats.router)
    app.include_router(routes_quick_replies.router)
    app.include_router(routes_words.router)
    app.include_router(routes_visitors.router)
    app.include_router(routes_tags.router)
    app.include_router(routes_workbench_apps.router)
    app.include_router(routes_agents.router)
    app.include_router(agent_marks.router)
    app.include_router(routes_session_visitor.router)
    app.include_router(routes_channels.router)
    app.include_router(agent_socket.router)
    app.include_router(web.build_router(channel))
    extra_channels.mount(app)
    static = resources.files("chatflow.channels") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/chat/{site_key}", include_in_schema=False)
    async def chat_page(site_key: str) -> FileResponse:
        """The standalone chat page (the shareable chat link and the widget's iframe)."""
        policy = web.chat_page_policy(await channel.backend.site(site_key))
        headers = {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"}
        return FileResponse(str(static / "chat.html"), media_type="text/html", headers=headers)

    ui = resources.files("chatflow.admin_api") / "static"
    app.mount("/ui", StaticFiles(directory=str(ui)), name="ui")

    for page in STAFF_PAGES:
        policy = STAFF_PAGE_POLICY
        if page == "workbench":
            policy = f"{STAFF_PAGE_POLICY}; {WORKBENCH_FRAMES}"
        route = _staff_page(ui / f"{page}.html", policy)
        app.add_api_route(f"/{page}", route, include_in_schema=False)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        """For pages without their own icon link (the API docs): the pages' SVG icon."""
        return FileResponse(str(static / "favicon.svg"), media_type="image/svg+xml")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    if config.server.trusted_proxies:
        # Added last, so it runs first: every route, websocket and other middleware sees the
        # visitor's address and scheme. Here rather than uvicorn's flag, so any server of this
        # app gets it; `chatflow serve` keeps that flag off so the two never both apply.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=config.server.trusted_proxies)
    return app
