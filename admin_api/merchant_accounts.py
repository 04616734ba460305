"""A merchant's accounts in service: the enabled ones (a disabled account keeps its row).

The agent pickers, the overseers' alerts, the console's queue board and the transfer and
invitation targets all ask this, so which accounts count is decided here once.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from chatflow.engine.stores.recordsdb import AccountRow


def enabled_accounts(db: Session, merchant_id: str) -> Sequence[AccountRow]:
    """The merchant's enabled accounts, by account name."""
    return db.exec(_enabled(merchant_id).order_by(col(AccountRow.account))).all()


def enabled_account(db: Session, merchant_id: str, account: str) -> AccountRow | None:
    """The merchant's enabled account of that name, else None."""
    return db.exec(_enabled(merchant_id).where(col(AccountRow.account) == account)).first()


def _enabled(merchant_id: str) -> SelectOfScalar[AccountRow]:
    return select(AccountRow).where(
        col(AccountRow.merchant_id) == merchant_id, col(AccountRow.enabled)
    )
