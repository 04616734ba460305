"""A records database for the flow-version tests: merchants each with a ``sales`` group and a
site ``<merchant>-web`` running the flow ``hello`` (:data:`FLOW`)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from chatflow.engine.stores.recordsdb import (
    GroupRow,
    MerchantRow,
    SiteRow,
    create_tables,
    records_engine,
)

FLOW = """\
id: hello
start: hi
nodes:
  hi: {type: message, text: hi, next: human}
  human: {type: transfer, group: sales, on_no_agents: bye, next: bye}
  bye: {type: end}
"""


def flow_world(url: str, merchants: tuple[str, ...] = ("acme", "globex")) -> Engine:
    """The database at ``url``, its tables made and ``merchants`` in it."""
    eng = records_engine(url)
    create_tables(eng)
    with Session(eng) as db:
        for merchant in merchants:
            db.add(MerchantRow(id=merchant))
            db.flush()
            db.add(GroupRow(merchant_id=merchant, id="sales"))
            db.add(SiteRow(key=f"{merchant}-web", merchant_id=merchant, flow_id="hello"))
        db.commit()
    return eng
