"""A site saved at the moment its flow is deleted: one waits for the other, so no site is left
running a flow without a published version (``flowversions.lock_published``).

Each interleaving is forced with hooks: the site route pauses after reading the merchant's
published flows, the delete pauses after its writes and site check, before its commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

import httpx
import pytest
from records_kit import Kit, kit_fixture  # noqa: F401  (the fixture "kit")
from sqlmodel import Session

from chatflow.engine import flowversions as fv

S = "/api/v1/admin/sites"
F = "/api/v1/admin/flows"
SPARE = """\
id: spare
start: hi
nodes:
  hi: {type: message, text: hi, next: bye}
  bye: {type: end}
"""
SITE_REQUESTS = ["create", "patch"]


def _publish_spare(kit: Kit) -> None:
    answer = kit.client.post(
        f"{F}/spare/versions?publish=true", json={"yaml": SPARE}, headers=kit.as_("admin01")
    )
    assert answer.status_code == 201, answer.text


def _point_a_site_at_spare(kit: Kit, how: str) -> httpx.Response:
    headers = kit.as_("admin01")
    if how == "create":
        return kit.client.post(S, json={"key": "acme-new", "flow": "spare"}, headers=headers)
    return kit.client.patch(f"{S}/acme-shop", json={"flow": "spare"}, headers=headers)


def _after_reading_published(monkeypatch: pytest.MonkeyPatch, then: Callable[[], None]) -> None:
    """The site route's first read of the published flows is followed by ``then()``."""
    real = fv.published_versions
    done = threading.Event()

    def published(db: Session, merchant_id: str) -> dict[str, int]:
        found = real(db, merchant_id)
        if not done.is_set():
            done.set()
            then()
        return found

    monkeypatch.setattr(fv, "published_versions", published)


def _assert_refused_and_unchanged(kit: Kit, answer: httpx.Response) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert "flow 'spare' was deleted while the site was being saved" in body["detail"]
    assert body["errors"][0]["path"] == "body.flow"
    sites = {s["key"]: s for s in kit.client.get(S, headers=kit.as_("admin01")).json()}
    assert "acme-new" not in sites and sites["acme-shop"]["flow"] == "presales"
    assert kit.client.get(f"{F}/spare/versions", headers=kit.as_("admin01")).status_code == 404


@pytest.mark.parametrize("how", SITE_REQUESTS)
def test_a_site_that_found_the_flow_before_the_delete_is_refused_after_it(
    kit: Kit, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    _publish_spare(kit)
    headers = kit.as_("admin01")
    read, deleted = threading.Event(), threading.Event()

    def wait_for_the_delete() -> None:
        read.set()
        assert deleted.wait(10)

    _after_reading_published(monkeypatch, wait_for_the_delete)
    with ThreadPoolExecutor(max_workers=1) as pool:
        site = pool.submit(_point_a_site_at_spare, kit, how)
        try:
            assert read.wait(10)
            # no site runs it yet: the delete goes through
            assert kit.client.delete(f"{F}/spare", headers=headers).status_code == 204
        finally:
            deleted.set()
        answer = site.result(timeout=10)
    _assert_refused_and_unchanged(kit, answer)


@pytest.mark.parametrize("how", SITE_REQUESTS)
def test_a_site_saved_while_the_delete_commits_waits_for_it_and_is_refused(
    kit: Kit, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    _publish_spare(kit)
    headers = kit.as_("admin01")
    checked, go, read = threading.Event(), threading.Event(), threading.Event()
    real_commit = fv._commit

    def commit_later(db: Session, flow_id: str) -> None:
        checked.set()  # written, and no enabled site ran the flow
        assert go.wait(10)
        real_commit(db, flow_id)

    monkeypatch.setattr(fv, "_commit", commit_later)
    _after_reading_published(monkeypatch, read.set)
    with ThreadPoolExecutor(max_workers=2) as pool:
        delete = pool.submit(kit.client.delete, f"{F}/spare", headers=headers)
        try:
            assert checked.wait(10)
            site = pool.submit(_point_a_site_at_spare, kit, how)
            assert read.wait(10)  # it saw the published version the delete has not committed
            wait([site], timeout=0.3)  # time to reach its write, where it waits for the delete
        finally:
            go.set()
        assert delete.result(timeout=10).status_code == 204
        answer = site.result(timeout=10)
    _assert_refused_and_unchanged(kit, answer)
