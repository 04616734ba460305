"""The editor's Try is rate-limited per account: tries, and the steps they play (each try
replays its whole conversation). Past either limit: 429 problem+json with Retry-After."""

from __future__ import annotations

from typing import Any

from admin_world import Tenant, World

from chatflow.admin_api.try_limits import TryLimits
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter

TRIES, STEPS = Limit(60, 60), Limit(1000, 60)
"""The default sizes (``limits.editor_*`` of chatflow.yaml), which the demo app keeps."""

FLOW = """\
id: {flow_id}
start: ask
vars: {{name: ""}}
nodes:
  ask: {{type: form, prompt: name?, var: name, next: ask, max_attempts: 1, on_fail: bye}}
  bye: {{type: end, message: bye}}
"""


def _try(t: Tenant, role: str, steps: int = 0) -> Any:
    flow_id = "tried"
    body = {"yaml": FLOW.format(flow_id=flow_id), "steps": [{"user": "x"}] * steps}
    return t.client.post(f"/api/v1/admin/flows/{flow_id}/try", headers=t.headers(role), json=body)


def _throttled(response: Any) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"] == "urn:chatflow:throttled" and problem["retry_after"] > 0
    assert int(response.headers["Retry-After"]) >= problem["retry_after"]
    return problem


def test_the_try_past_the_limit_is_429_and_another_account_is_not_affected(world: World) -> None:
    t = world.acme
    for n in range(TRIES.count):
        assert _try(t, "admin").status_code == 200, n
    problem = _throttled(_try(t, "admin"))
    assert problem["detail"].startswith("too many tries from this account; try again in ")
    assert 0 < problem["retry_after"] <= TRIES.seconds
    assert _try(t, "owner").status_code == 200  # another account: its own window
    assert _try(world.globex, "admin").status_code == 200


def test_steps_past_the_limit_are_429_and_count_nothing(world: World) -> None:
    t = world.acme
    longest = 200
    fits = STEPS.count // (longest + 1)
    for n in range(fits):
        assert _try(t, "admin", steps=longest).status_code == 200, n
    problem = _throttled(_try(t, "admin", steps=longest))
    assert "played too many steps (200 now)" in problem["detail"]
    left = STEPS.count - fits * (longest + 1)
    assert _try(t, "admin", steps=left - 1).status_code == 200, "the refused try took nothing"
    _throttled(_try(t, "admin"))  # even a try of no steps costs one: its start
    assert _try(t, "owner", steps=longest).status_code == 200


def test_the_wait_passes_and_a_viewer_is_refused_before_counting(world: World) -> None:
    now = [0.0]
    world.client.app.state.try_limits = TryLimits(  # type: ignore[attr-defined]
        tries=MemoryRateLimiter(Limit(2, 60), lambda: now[0]),
        steps=MemoryRateLimiter(Limit(500, 60), lambda: now[0]),
    )
    t = world.acme
    assert _try(t, "viewer").status_code == 403  # no right to try: not counted either
    assert [_try(t, "admin").status_code for _ in range(2)] == [200, 200]
    assert _throttled(_try(t, "admin"))["retry_after"] == 60
    now[0] += 45
    problem = _throttled(_try(t, "admin"))
    assert problem["retry_after"] == 15 and problem["detail"].endswith("try again in 15 s")
    now[0] += 15
    assert _try(t, "admin").status_code == 200
