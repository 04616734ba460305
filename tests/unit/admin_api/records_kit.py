"""Shared set-up of the records/content route tests: a real app on SQLite under tmp_path.

Merchant ``acme``: sites acme-web and acme-shop, groups presales and vip, agents alice01
(presales) and bob0001 (vip), supervisor sup0001 (presales), admin admin01; merchant ``other``
with its admin carol01. Conversations are written straight into the records tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from chatflow.admin_api.app import create_app
from chatflow.admin_api.live import MemoryLive
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.clock import FrozenClock
from chatflow.engine.stores.recordsdb import ConversationRow, MessageRow

PASSWORD = "Demo-pass1"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


CONFIG = """\
merchants:
  - id: acme
    sites:
      - {key: acme-web, flow: presales, groups: [presales, vip]}
      - {key: acme-shop, flow: presales, groups: [presales]}
    groups: [{id: presales}, {id: vip}]
    agents:
      - {account: alice01, password_env: PW, nickname: Alice, staff_no: "1001",
         groups: {presales: 1}}
      - {account: bob0001, password_env: PW, nickname: Bob, staff_no: "1002",
         groups: {vip: 1}}
      - {account: sup0001, password_env: PW, nickname: Sue, staff_no: "2001",
         role: supervisor, groups: {presales: 1}}
      - {account: admin01, password_env: PW, nickname: Ada, staff_no: "9001", role: admin}
  - id: other
    sites:
      - {key: other-web, flow: presales, groups: [presales]}
    groups: [{id: presales}]
    agents:
      - {account: carol01, password_env: PW, nickname: Carol, staff_no: "1", role: admin}
"""


class Kit:
    """A started app, its database, its live twin and logged-in headers per account."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.engine: Engine = client.app.state.records  # type: ignore[attr-defined]
        self.live = MemoryLive()
        client.app.state.live = self.live  # type: ignore[attr-defined]
        client.app.state.clock = FrozenClock(NOW)  # type: ignore[attr-defined]
        self._headers: dict[str, dict[str, str]] = {}

    def as_(self, account: str) -> dict[str, str]:
        if account not in self._headers:
            response = self.client.post(
                "/api/v1/auth/login", json={"account": account, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._headers[account] = {"Authorization": f"Bearer {response.json()['token']}"}
        return self._headers[account]

    def conversation(
        self,
        session_id: str,
        *,
        merchant: str = "acme",
        site: str = "acme-web",
        visitor: str = "v1",
        group: str | None = "presales",
        agent: str | None = "alice01",
        days_ago: float = 1,
        status: str = "ended",
        messages: list[tuple[str, str]] | None = None,
        **fields: object,
    ) -> None:
        """A conversation started ``days_ago`` before NOW, served 10 s after its first ring."""
        start = NOW - timedelta(days=days_ago)
        row = ConversationRow(
            session_id=session_id,
            merchant_id=merchant,
            site_key=site,
            visitor_id=visitor,
            flow_id="presales",
            status=status,
            group_id=group,
            agent_account=agent,
            agents=[agent] if agent else [],
            started_at=start,
            queued_at=start + timedelta(seconds=5) if group else None,
            first_ring_at=start + timedelta(seconds=6) if agent else None,
            agent_joined_at=start + timedelta(seconds=16) if agent else None,
            ended_at=start + timedelta(minutes=5) if status == "ended" else None,
            closed_by="seat" if status == "ended" and agent else None,
        )
        for name, value in fields.items():
            setattr(row, name, value)
        with Session(self.engine) as db:
            db.add(row)
            for seq, (sender, text) in enumerate(messages or [], start=1):
                db.add(
                    MessageRow(
                        session_id=session_id,
                        merchant_id=merchant,
                        seq=seq,
                        sender=sender,
                        agent_account=agent if sender == "agent" else None,
                        text=text,
                        at=start + timedelta(seconds=seq),
                    )
                )
            db.commit()


@pytest.fixture(name="kit")
def kit_fixture(tmp_path: Path, cheap_argon2: None) -> Iterator[Kit]:
    config = tmp_path / "chatflow.yaml"
    config.write_text(CONFIG)
    settings = ServeSettings(config=config, data=tmp_path / "data", env={"PW": PASSWORD})
    with TestClient(create_app(settings)) as client:
        yield Kit(client)
