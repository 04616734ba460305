"""``chatflow serve``: run a deployment with uvicorn (the embedded demo when given no options)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from chatflow.admin_api.settings import DEMO_CONFIG, ServeSettings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the chat server (the demo deployment by default)",
        description=(
            "Serve the visitor channels, the agent API and the admin API. With no --config it "
            f"runs the demo deployment ({DEMO_CONFIG}) on embedded SQLite under --data."
        ),
    )
    parser.add_argument("--config", type=Path, help=f"chatflow.yaml (default: {DEMO_CONFIG})")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument("--data", type=Path, default=Path("data"), help="data folder (./data)")
    parser.add_argument("--redis", metavar="URL", help="scale-out: Redis URL for sessions")
    parser.add_argument("--database", metavar="URL", help="scale-out: records database URL")
    parser.add_argument(
        "--publish-flows",
        action="store_true",
        help=(
            "publish each flow file that differs from its published version (by default such "
            "a file is saved as a draft version, to publish in the flow editor)"
        ),
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.set_defaults(func=run)


def settings_from(args: argparse.Namespace) -> ServeSettings | str:
    """The settings, or why they cannot be made (a message for the user)."""
    config = args.config or DEMO_CONFIG
    if not config.is_file():
        if args.config is None:
            return (
                f"no --config given and the demo deployment {DEMO_CONFIG} is not here; run "
                "from a chatflow checkout or pass --config path/to/chatflow.yaml"
            )
        return f"config file {config} does not exist"
    return ServeSettings(
        config=config,
        host=args.host,
        port=args.port,
        data=args.data,
        redis_url=args.redis,
        database_url=args.database,
        env=dict(os.environ),
        publish_flows=args.publish_flows,
    )


def bound_url(settings: ServeSettings) -> str:
    """Where the server listens, as a browser on this machine reaches it."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{settings.port}"


def banner(settings: ServeSettings, site_keys: list[str], public_url: str | None = None) -> str:
    """What ``chatflow serve`` prints: the addresses of every page, under ``public_url`` (the
    config's ``server.public_url``) when it is set, else where the server listens."""
    base = public_url or bound_url(settings)
    lines = [f"chatflow is serving {settings.config} (data: {settings.data})"]
    if public_url:
        lines.append(f"listening on {bound_url(settings)}, public address {public_url}")
    lines.append("")
    for key in site_keys:
        lines.append(f"  chat page     {base}/chat/{key}")
    if site_keys:
        lines.append(
            f'  widget        <script src="{base}/static/widget.js" data-site="{site_keys[0]}" async></script>'
        )
    lines.append(f"  workbench     {base}/workbench")
    lines.append(f"  flow editor   {base}/editor")
    lines.append(f"  admin console {base}/console")
    lines.append(f"  agent login   POST {base}/api/v1/auth/login")
    lines.append(f"  API docs      {base}/docs")
    if settings.config == DEMO_CONFIG:
        lines.append("  demo agents   demo_alice / demo_bob, password Demo-pass1")
    return "\n".join(lines)


def refuse_flow_errors(settings: ServeSettings) -> None:
    """Check the flows of the config's ``flows`` folder as ``chatflow validate --config`` does:
    a :class:`DefinitionError` with the same lines when one has an error; warnings are logged.
    (The config file's own problems are left to the start-up that reads it.)"""
    from chatflow.engine.errors import DefinitionError
    from chatflow.engine.validate import validate_paths
    from chatflow.nodes import LANGUAGE

    config = settings.config.resolve()
    problems = [
        p
        for p in validate_paths([], LANGUAGE, config=settings.config).problems
        if not p.path or Path(p.path).resolve() != config
    ]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        count = f"{len(errors)} error{'s' if len(errors) > 1 else ''}"
        raise DefinitionError(
            f"the flows have {count} (as `chatflow validate --config {settings.config}` "
            "reports them); fix them and start again",
            problems,
        )
    for problem in problems:
        logging.getLogger(__name__).warning("%s", problem.format())


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from chatflow.admin_api.app import create_app
    from chatflow.admin_api.commands import _startup
    from chatflow.admin_api.commands._password_note import password_env_notes
    from chatflow.admin_api.logs import configure as configure_logs
    from chatflow.admin_api.logs import guard_client_lines
    from chatflow.admin_api.passwords import password_problems, verify_password
    from chatflow.admin_api.visit_info import parse_agent
    from chatflow.engine.directory import missing_passwords, passwords_summary
    from chatflow.engine.errors import DefinitionError
    from chatflow.engine.yamlsource import load_path

    made = settings_from(args)
    if isinstance(made, str):
        print(f"chatflow serve: {made}", file=sys.stderr)
        return 2
    settings = made
    configure_logs(args.log_level)
    debug = args.log_level == "debug"
    taken = _startup.port_problem(settings.host, settings.port)
    if taken:
        print(f"chatflow serve: {taken}", file=sys.stderr)
        return 1
    try:
        app = create_app(settings)
        # Checked again when the app starts (any server); asked here, the problems come before
        # uvicorn's start-up lines. A password the console would refuse is refused too (here,
        # not by `chatflow validate`: the environment it runs in is not the server's).
        missing = missing_passwords(
            app.state.records,
            app.state.services.config,
            env=settings.env,
            source=str(settings.config),
            document=load_path(settings.config),
            password_rule=password_problems,
        )
        if missing:
            raise DefinitionError(passwords_summary(missing), missing)
        refuse_flow_errors(settings)
        # a password_env changed after its agent was created is not read: say so, not silently
        notes = password_env_notes(
            app.state.records, app.state.services.config, settings.env, verify_password
        )
        for note in notes:
            print(f"chatflow serve: {note}", file=sys.stderr)
    except Exception as exc:  # every start-up failure is said in words, never a traceback
        print("\n".join(_startup.failure_lines(exc, settings, debug=debug)), file=sys.stderr)
        return 1
    # FastAPI builds each route's dependencies and validators on the first request that walks
    # past it (~150 ms for the first one); building the OpenAPI schema walks them all now, and
    # caches /openapi.json too (docs/performance.md, "First request").
    app.openapi()
    # ua-parser loads its rules on the first User-Agent it reads (~170 ms): now, not on the
    # first agent's visitor panel (docs/performance.md, "First request")
    parse_agent("Mozilla/5.0")
    config = app.state.services.config
    keys = [site.key for merchant in config.merchants for site in merchant.sites if site.enabled]
    guard = _startup.StartupGuard(app)
    server = _startup.AnnouncingServer(
        uvicorn.Config(
            guard,
            host=settings.host,
            port=settings.port,
            log_level=args.log_level,
            ws_max_size=1_048_576,
            # Chat frames are a few hundred bytes: compressing them saves little, costs CPU per
            # frame and keeps two zlib states (~300 KB) per open socket (docs/decisions.md).
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=10,
            # The app reads X-Forwarded-* itself, from server.trusted_proxies only (app.py).
            proxy_headers=False,
        ),
        # the addresses once they answer: not before a start-up that may still fail
        announce=lambda: print(banner(settings, keys, config.server.public_url), flush=True),
    )
    # uvicorn set up its loggers while building the config: filter its lines about clients now
    guard_client_lines(config.privacy)
    try:
        server.run()
    except SystemExit:  # uvicorn's way out of a failed start-up
        if guard.failure is not None:
            lines = _startup.failure_lines(guard.failure, settings, debug=debug)
        else:
            where = f"{settings.host}:{settings.port}"
            lines = [f"chatflow serve: cannot listen on {where} (see the error above)"]
        print("\n".join(lines), file=sys.stderr)
        return 1
    return 0
