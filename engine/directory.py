"""The tenant directory: merchants > sites > agent groups > agents, kept in the records database.

``chatflow.yaml`` seeds it: at start every merchant, site, group and agent that the database does
not have yet is created from the file; what the database already has wins (the admin API is the
source of truth once the deployment runs). Every lookup is scoped by merchant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, inspect
from sqlmodel import Session, col, select

from chatflow.engine.config import Agent, DeploymentConfig, Group, Merchant, Site
from chatflow.engine.errors import DefinitionError, Problem
from chatflow.engine.stores.recordsdb import AccountRow, GroupRow, MerchantRow, SiteRow, utcnow
from chatflow.engine.yamlsource import Document

logger = logging.getLogger("chatflow.engine.directory")


def missing_passwords(
    engine: Engine,
    config: DeploymentConfig,
    *,
    env: Mapping[str, str],
    source: str = "chatflow.yaml",
    document: Document | None = None,
    password_rule: Callable[[str], list[str]] | None = None,
) -> list[Problem]:
    """What :func:`import_config` would refuse for: an agent the database lacks (a fresh
    database lacks all) whose ``password_env`` is not set. ``chatflow serve`` asks before it
    starts the server, so the problem is said plainly instead of failing the start-up.

    ``password_rule`` (the accounts' rule: every rule a password breaks) also refuses such an
    agent whose password breaks it, as the console refuses that password typed by hand."""
    existing: set[str] = set()
    if inspect(engine).has_table(AccountRow.__tablename__):
        with Session(engine) as db:
            existing = set(db.exec(select(AccountRow.account)).all())
    return _missing_passwords(config, existing, env, source, document, password_rule)


def passwords_summary(problems: list[Problem]) -> str:
    """The line under the agents' password problems: what is wrong with them."""
    weak = sum(problem.code == "weak-password" for problem in problems)
    if weak == 0:
        return "agent passwords are missing"
    if weak == len(problems):
        return "agent passwords are too weak"
    return "agent passwords are missing or too weak"


def _missing_passwords(
    config: DeploymentConfig,
    existing: Collection[str],
    env: Mapping[str, str],
    source: str,
    document: Document | None,
    password_rule: Callable[[str], list[str]] | None = None,
) -> list[Problem]:
    problems = []
    for i, merchant in enumerate(config.merchants):
        for k, agent in enumerate(merchant.agents):
            if agent.account in existing or not agent.password_env:
                continue
            password = env.get(agent.password_env)
            broken = password_rule(password) if password and password_rule else []
            if not password:
                code = "password_env"
                message = (
                    f"agent {agent.account!r}: environment variable {agent.password_env} is not set"
                )
            elif broken:
                code = "weak-password"
                message = (
                    f"agent {agent.account!r}: the password in {agent.password_env} is too "
                    f"weak: it must {', '.join(broken)}, as the console requires of every "
                    "password; set a stronger one"
                )
            else:
                continue
            if document is None:
                problems.append(Problem(message, source, code=code))
            else:
                path = ("merchants", i, "agents", k, "password_env")
                problems.append(document.problem(message, path, code=code))
    return problems


@dataclass
class ImportReport:
    """What a config import created (ids), for the start-up log."""

    created: list[str] = field(default_factory=list)


def import_config(
    engine: Engine,
    config: DeploymentConfig,
    *,
    env: Mapping[str, str],
    hash_password: Callable[[str], str],
    source: str = "chatflow.yaml",
    document: Document | None = None,
    now: datetime | None = None,
    password_rule: Callable[[str], list[str]] | None = None,
) -> ImportReport:
    """Create what the database lacks from ``config``; refuse with every missing password at once.

    An agent whose staff number an account of its merchant already has (made in the console)
    is left out with a warning, and imported at a later start once the number is free.
    ``now`` dates the merchants and accounts it creates (the server's clock; default: now).
    ``document`` (the config's YAML) places each missing password at its agent's line;
    ``password_rule`` refuses a weak one too, as :func:`missing_passwords` does."""
    report = ImportReport()
    at = now or utcnow()
    with Session(engine) as db:
        accounts = db.exec(select(AccountRow)).all()
        existing_accounts = {row.account for row in accounts}
        staff_numbers = {(row.merchant_id, row.staff_no): row.account for row in accounts}
        missing = _missing_passwords(
            config, existing_accounts, env, source, document, password_rule
        )
        if missing:
            raise DefinitionError(passwords_summary(missing), missing)
        for merchant in config.merchants:
            _import_merchant(db, merchant, report, at)
            for agent in merchant.agents:
                holder = staff_numbers.get((merchant.id, agent.staff_no))
                if agent.account not in existing_accounts and holder is not None:
                    _warn_number_taken(merchant.id, agent, holder, source)
                elif agent.account not in existing_accounts:
                    digest = agent.password_hash or hash_password(env[agent.password_env or ""])
                    db.add(_account_row(merchant.id, agent, digest, at))
                    existing_accounts.add(agent.account)
                    report.created.append(f"agent {merchant.id}/{agent.account}")
        db.commit()
    return report


def _warn_number_taken(merchant_id: str, agent: Agent, holder: str, source: str) -> None:
    logger.warning(
        "config.agent_not_imported",
        extra={
            "merchant": merchant_id,
            "agent": agent.account,
            "staff_no": agent.staff_no,
            "held_by": holder,
            "mend": f"the account {holder} has this staff number: change its number in the"
            f" console or the agent's in {source}; the agent is imported at the next start",
        },
    )


def _import_merchant(db: Session, merchant: Merchant, report: ImportReport, at: datetime) -> None:
    """The merchant, its groups and its sites, each created only if the database lacks it."""
    if db.get(MerchantRow, merchant.id) is None:
        db.add(MerchantRow(id=merchant.id, name=merchant.name, created_at=at))
        report.created.append(f"merchant {merchant.id}")
    db.flush()
    for group in merchant.groups:
        if db.get(GroupRow, (merchant.id, group.id)) is None:
            db.add(_group_row(merchant.id, group))
            report.created.append(f"group {merchant.id}/{group.id}")
    for site in merchant.sites:
        if db.get(SiteRow, site.key) is None:
            db.add(_site_row(merchant.id, site))
            report.created.append(f"site {site.key}")


def agent_of(row: AccountRow) -> Agent:
    """A stored account as the queue takes it (raises pydantic's ValidationError if corrupt)."""
    return Agent.model_validate(
        {
            "account": row.account,
            "password_hash": row.password_hash,
            "nickname": row.nickname,
            "staff_no": row.staff_no,
            "role": row.role,
            "groups": row.groups,
            "default_status": row.default_status,
        }
    )


def group_of(row: GroupRow) -> Group:
    """A stored group's rules as the queue takes them (the database is the truth after import)."""
    return Group.model_validate(row.model_dump(exclude={"merchant_id"}))


def account_groups(db: Session, row: AccountRow) -> list[Group]:
    """The rules of the groups an account belongs to, as stored."""
    rows = db.exec(
        select(GroupRow).where(
            col(GroupRow.merchant_id) == row.merchant_id, col(GroupRow.id).in_(list(row.groups))
        )
    ).all()
    return [group_of(g) for g in rows]


def sites_by_group(
    db: Session, merchant_id: str, *, enabled_only: bool = False
) -> dict[str, list[str]]:
    """Group id -> keys of the merchant's sites it serves (sorted), from one read of the sites;
    ``enabled_only`` leaves out disabled sites (they never take a visitor again)."""
    query = select(SiteRow.key, SiteRow.groups).where(SiteRow.merchant_id == merchant_id)
    if enabled_only:
        query = query.where(SiteRow.enabled == True)  # noqa: E712 (SQL, not Python)
    rows = db.exec(query)
    by_group: dict[str, list[str]] = {}
    for key, groups in sorted(rows.all()):
        for group_id in dict.fromkeys(groups):
            by_group.setdefault(group_id, []).append(key)
    return by_group


def _group_row(merchant_id: str, group: Group) -> GroupRow:
    return GroupRow(
        merchant_id=merchant_id,
        id=group.id,
        name=group.name,
        max_sessions=group.max_sessions,
        routing=group.routing,
        ring_timeout=group.ring_timeout,
        rest_after_missed=group.rest_after_missed,
        auto_accept=group.auto_accept,
    )


def _site_row(merchant_id: str, site: Site) -> SiteRow:
    return SiteRow(
        key=site.key,
        merchant_id=merchant_id,
        name=site.name,
        flow_id=site.flow,
        groups=list(site.groups),
        allowed_origins=list(site.allowed_origins),
        enabled=site.enabled,
        captcha=site.captcha,
    )


def _account_row(merchant_id: str, agent: Agent, password_hash: str, at: datetime) -> AccountRow:
    return AccountRow(
        created_at=at,
        merchant_id=merchant_id,
        account=agent.account,
        password_hash=password_hash,
        nickname=agent.nickname,
        staff_no=agent.staff_no,
        role=agent.role,
        groups=dict(agent.groups),
        default_status=agent.default_status,
        owner=agent.owner,
    )


def find_site(engine: Engine, key: str) -> SiteRow | None:
    """The site with this public key (any merchant: site keys are unique in a deployment)."""
    with Session(engine) as db:
        return db.get(SiteRow, key)
