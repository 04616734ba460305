"""A site's disable time comes from the app's clock, like every other stamp of the admin API."""

from __future__ import annotations

from datetime import datetime

from records_kit import NOW, Kit, kit_fixture  # noqa: F401  (the fixture "kit")


def test_disabling_a_site_stamps_the_apps_clock(kit: Kit) -> None:
    response = kit.client.post("/api/v1/admin/sites/acme-shop/disable", headers=kit.as_("admin01"))
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["disabled_at"]) == NOW
