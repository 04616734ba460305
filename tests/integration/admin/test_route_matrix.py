"""The tenant x role matrix, generated from the app's route table.

Every route that needs an admin right, lives under ``/api/v1/admin`` or takes ids in its path is
called: without a token (401); by accounts whose rights lack the route's feature (403); with the
other merchant's ids in the path or body (403/404/422, and nothing of the other merchant in the
answer); with scope fields missing or empty (4xx, never 5xx); and by the merchant's admin with
the declared sample (it reaches the route). The rights a route needs are read from its
``require(feature, level)`` dependency, never declared twice.

A route without a sample fails here: declare one in ``route_samples_<area>.py`` beside this file
(a ``SAMPLES`` dict keyed by ``"METHOD /path"``, see :class:`admin_world.Sample`).
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from admin_world import GLOBEX_MARKER, Sample, Tenant, World, settings_for
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import Response

from chatflow.admin_api.app import create_app
from chatflow.admin_api.permissions import ROLE_DEFAULTS

HERE = Path(__file__).parent


def _load_samples() -> dict[str, Sample]:
    samples: dict[str, Sample] = {}
    for file in sorted(HERE.glob("route_samples_*.py")):
        module = importlib.import_module(file.stem)
        for key, sample in module.SAMPLES.items():
            assert key not in samples, f"{key} has samples in two files"
            samples[key] = sample
    return samples


SAMPLES = _load_samples()


@dataclass(frozen=True)
class RouteInfo:
    key: str
    method: str
    path: str
    params: tuple[str, ...]
    feature: tuple[str, str] | None
    """``(feature, level)`` from the route's ``require`` dependency."""


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependencies(sub)


def _route_info(method: str, path: str, route: APIRoute) -> RouteInfo:
    feature = None
    for call in _dependencies(route.dependant):
        name = getattr(call, "__name__", "")
        if name.startswith("require_"):
            found, level = name.removeprefix("require_").rsplit("_", 1)
            feature = (found, level)
    params = tuple(p.name for p in route.dependant.path_params)
    return RouteInfo(f"{method} {path}", method, path, params, feature)


def _routes() -> list[RouteInfo]:
    """Every route the matrix covers, read from a real app's route table."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(settings_for(Path(folder)))
        app.state.records.dispose()  # never started; only its route table is read
    out = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path is None:
            continue
        for method in sorted(context.methods or ()):
            info = _route_info(method, context.path, route)
            covered = (
                info.path.startswith("/api/v1/admin")
                or info.params
                or info.feature
                or info.key in SAMPLES
            )
            if covered and method != "HEAD":
                out.append(info)
    return out


ROUTES = _routes()
MATRIX = [r for r in ROUTES if r.key in SAMPLES and not SAMPLES[r.key].exempt]


def _id(route: RouteInfo) -> str:
    return route.key


def call(
    world: World,
    route: RouteInfo,
    tenant: Tenant,
    *,
    role: str | None = "admin",
    caller: Tenant | None = None,
    path: dict[str, Any] | None = None,
    body: Any = None,
    use_sample_body: bool = True,
) -> Response:
    """Call ``route`` as ``role`` of ``caller`` (default: ``tenant``) naming ``tenant``'s objects."""
    sample = SAMPLES[route.key]
    caller = caller or tenant
    url = call_url(route, path if path is not None else sample.path(tenant))
    headers = caller.headers(role) if role else {}
    kwargs: dict[str, Any] = {"params": sample.query(caller)}
    if body is not None:
        kwargs["json"] = body
    elif use_sample_body and sample.content is not None:
        media, content = sample.content(caller)
        kwargs["content"] = content
        headers["content-type"] = media
    elif use_sample_body and sample.body is not None:
        kwargs["json"] = sample.body(caller)
    return world.client.request(route.method, url, headers=headers, **kwargs)


def _leaks(response: Response) -> bool:
    return GLOBEX_MARKER in response.text


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_every_route_has_a_sample(route: RouteInfo) -> None:
    assert route.key in SAMPLES, (
        f"no route-matrix sample for {route.key!r}: add one to a route_samples_<area>.py "
        "beside this test (SAMPLES dict, see admin_world.Sample)"
    )
    if route.path.startswith("/api/v1/admin") and not SAMPLES[route.key].exempt:
        assert route.feature is not None, f"{route.key} has no require(feature, level) dependency"


def test_no_sample_names_a_route_that_does_not_exist() -> None:
    stale = sorted(set(SAMPLES) - {r.key for r in ROUTES})
    assert not stale, f"samples for routes that do not exist: {stale}"


@pytest.mark.parametrize("route", MATRIX, ids=_id)
def test_no_token_is_401(shared_world: World, route: RouteInfo) -> None:
    """Every route of the matrix needs a token (a public route is declared ``exempt``)."""
    acme = shared_world.acme
    assert call(shared_world, route, acme, role=None).status_code == 401
    bogus = shared_world.client.request(
        route.method,
        call_url(route, SAMPLES[route.key].path(acme)),
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert bogus.status_code == 401


def call_url(route: RouteInfo, params: dict[str, Any]) -> str:
    url = route.path
    for name in route.params:
        url = url.replace("{" + name + "}", quote(str(params[name]), safe=""))
    return url


def _lacking(feature: str, level: str) -> list[str]:
    """Roles of the world whose rights lack ``level`` on ``feature``."""
    roles = ["nobody"]
    if level == "edit":
        roles.append("viewer")
    for role in ("supervisor", "agent"):
        right = ROLE_DEFAULTS[role].get(feature)
        if right is None or (level == "edit" and right != "edit"):
            roles.append(role)
    return roles


@pytest.mark.parametrize("route", [r for r in MATRIX if r.feature], ids=_id)
def test_accounts_without_the_right_get_403(shared_world: World, route: RouteInfo) -> None:
    assert route.feature is not None
    for role in _lacking(*route.feature):
        response = call(shared_world, route, shared_world.acme, role=role)
        assert response.status_code == 403, (role, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("route", MATRIX, ids=_id)
def test_other_merchants_ids_are_refused(shared_world: World, route: RouteInfo) -> None:
    sample = SAMPLES[route.key]
    acme, globex = shared_world.acme, shared_world.globex
    for role in ("owner", "admin"):
        if route.params and sample.foreign_path:
            response = call(shared_world, route, globex, caller=acme, role=role)
            assert response.status_code in (403, 404), (role, response.status_code, response.text)
            assert not _leaks(response), response.text
        for body in sample.foreign_bodies(acme, globex) if sample.foreign_bodies else []:
            response = call(shared_world, route, acme, role=role, body=body)
            assert response.status_code in (403, 404, 422), (body, response.text)
            assert not _leaks(response), response.text


def _empty(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    return type(value)() if isinstance(value, (str, list, dict, int, float)) else None


@pytest.mark.parametrize("route", MATRIX, ids=_id)
def test_missing_or_empty_fields_are_4xx_not_5xx(shared_world: World, route: RouteInfo) -> None:
    sample = SAMPLES[route.key]
    acme = shared_world.acme
    for name in route.params:
        params = {**sample.path(acme), name: " "}
        response = call(shared_world, route, acme, path=params)
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
    if sample.body is None:
        return
    for field in list(sample.body(acme)):
        for variant in ("missing", "empty", "null"):
            body = sample.body(acme)
            if variant == "missing":
                del body[field]
            else:
                body[field] = _empty(body[field]) if variant == "empty" else None
            response = call(shared_world, route, acme, body=body)
            assert response.status_code < 500, (field, variant, response.text)
            if field in sample.scope_fields:
                assert 400 <= response.status_code < 500, (field, variant, response.text)


@pytest.mark.parametrize("route", MATRIX, ids=_id)
def test_the_merchants_admin_reaches_the_route(shared_world: World, route: RouteInfo) -> None:
    response = call(shared_world, route, shared_world.acme)
    assert response.status_code in SAMPLES[route.key].ok, response.text
    assert not _leaks(response), response.text
