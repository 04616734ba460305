"""Schemathesis over the whole OpenAPI schema: no request, however odd, gets a 5xx.

It runs in-process on the module's world app (the test client carries the calls, so the app's
lifespan is the world's), authenticated as acme's owner, with a few deterministic examples per
operation, positive and negative. Kept under a minute: the coverage phase (dozens of boundary
cases per operation) is off and failures are not shrunk. Logout is left out: it would end the
token the other calls use.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from admin_world import World
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

EXAMPLES = 5


def _for_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis speaks requests; the test client is httpx (cookies go in a header, raw
    bodies in ``content``)."""
    out = dict(kwargs)
    cookies = out.pop("cookies", None)
    if cookies:
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        out["headers"] = {**out.get("headers", {}), "Cookie": cookie}
    if isinstance(out.get("data"), (bytes, str)):
        out["content"] = out.pop("data")
    return out


@pytest.fixture(scope="module")
def api_schema(shared_world: World) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {"coverage": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_dict(shared_world.client.app.openapi(), config=config)


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/api/v1/auth/logout")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
def test_no_server_errors(case: Any, shared_world: World) -> None:
    kwargs = _for_httpx(case.as_transport_kwargs(headers=shared_world.acme.headers("owner")))
    response = shared_world.client.request(**kwargs)
    case.validate_response(response, checks=[not_a_server_error])
