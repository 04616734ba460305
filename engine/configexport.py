"""The records database's tenants written back as a ``chatflow.yaml`` (``chatflow export-config``).

The reverse of :func:`chatflow.engine.directory.import_config`: once a deployment is managed
through the admin API the database is the source of truth, and this turns it into a file that
can be reviewed, versioned and used to seed another deployment. Agents carry their argon2
``password_hash`` (never a password). What ``chatflow.yaml`` cannot express (permission groups,
account scopes, disabled accounts) is listed in :attr:`Export.notes` instead of silently lost.

Some settings live only in the deployment's ``chatflow.yaml``, never in the database: the
webhook channels, and the ``http``, ``limits`` and ``server`` sections. Given that file
(``export-config --config``), they are copied from it, so the export is the whole deployment;
without it, a note says they were not.
A disabled site whose flow has no published version (deleted: a disabled site does not hold its
flow) is left out too, since the file would name a flow it does not hold and fail to validate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from chatflow.engine.config import Agent, DeploymentConfig, Group, Merchant
from chatflow.engine.errors import DefinitionError
from chatflow.engine.flowversions import published_rows
from chatflow.engine.stores.recordsdb import (
    AccountRow,
    GroupRow,
    MerchantRow,
    SiteRow,
)

_GROUP_SETTINGS = ("max_sessions", "routing", "ring_timeout", "rest_after_missed", "auto_accept")
_GROUP_DEFAULTS: dict[str, Any] = {
    name: Group.model_fields[name].default for name in _GROUP_SETTINGS
}
"""A group setting equal to ``chatflow.yaml``'s default is left out of the file."""
_DEFAULT_STATUS = Agent.model_fields["default_status"].default


@dataclass
class Export:
    """An exported deployment: the config, the published flows by id, what was left out."""

    config: dict[str, Any]
    flows: dict[str, str] = field(default_factory=dict)
    """Flow id -> the published YAML text."""
    notes: list[str] = field(default_factory=list)
    """What the file cannot carry, one line each."""

    def yaml(self) -> str:
        """The config as YAML, with the notes as a comment header."""
        header = [
            "# Exported by `chatflow export-config` from the records database.",
            "# Agents log in with their current passwords (argon2 hashes below).",
        ]
        header += [f"# Not exported: {note}" for note in self.notes]
        body = yaml.safe_dump(self.config, allow_unicode=True, sort_keys=False, width=100)
        return "\n".join(header) + "\n" + body


FILE_ONLY = tuple(
    name for name in DeploymentConfig.model_fields if name not in ("flows", "merchants")
)
"""The sections of ``chatflow.yaml`` that the database does not hold (beside the channels):
every top-level one but the merchants (and ``flows``, which the export sets)."""


def export_deployment(
    engine: Engine, *, flows: str = "./flows", file: DeploymentConfig | None = None
) -> Export:
    """Read every merchant with its sites, groups and enabled accounts; validate the result.

    ``file`` is the deployment's ``chatflow.yaml``, for what only the file holds."""
    notes: list[str] = []
    merchants: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    with Session(engine) as db:
        for merchant in db.exec(select(MerchantRow).order_by(col(MerchantRow.id))).all():
            published = _published_flows(db, merchant.id, texts, notes)
            merchants.append(_merchant(db, merchant, published, notes))
    config: dict[str, Any] = {"flows": flows, "merchants": merchants}
    if file is None:
        sections = f"{', '.join(FILE_ONLY[:-1])} and {FILE_ONLY[-1]}"
        notes.append(
            f"webhook channels and the {sections} settings, which only chatflow.yaml holds "
            "(give it with --config to copy them)"
        )
    else:
        _copy_file_only(file, config, notes)
    try:
        DeploymentConfig.model_validate(config)  # what we write must read back
    except ValidationError as exc:
        said = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'config'}: {error['msg']}"
            for error in exc.errors()
        )
        raise DefinitionError(
            f"the database's deployment would not read back as chatflow.yaml ({said}); "
            "mend it in the console and export again"
        ) from None
    return Export(config, texts, notes)


def _copy_file_only(file: DeploymentConfig, config: dict[str, Any], notes: list[str]) -> None:
    """Copy the file's own settings into ``config``: the sections that differ from their
    defaults, and each exported merchant's webhook channels whose site is exported too."""
    for name in FILE_ONLY:
        section = getattr(file, name).model_dump(mode="json", exclude_defaults=True)
        if section:
            config[name] = section
    by_id: dict[str, Merchant] = {m.id: m for m in file.merchants}
    exported = {m["id"] for m in config["merchants"]}
    for merchant in config["merchants"]:
        source = by_id.get(merchant["id"])
        if source is None or not source.channels:
            continue
        sites = {site["key"] for site in merchant["sites"]}
        kept = [c for c in source.channels if c.site in sites]
        if kept:
            merchant["channels"] = [c.model_dump(mode="json", exclude_defaults=True) for c in kept]
        for channel in source.channels:
            if channel.site not in sites:
                notes.append(
                    f"merchant {merchant['id']}: webhook channel {channel.key}, whose site "
                    f"{channel.site} is not exported"
                )
    for merchant_id in sorted(by_id.keys() - exported):
        if by_id[merchant_id].channels:
            notes.append(
                f"merchant {merchant_id}: its webhook channels (the merchant is not in the "
                "database)"
            )


def _merchant(
    db: Session, merchant: MerchantRow, published: set[str], notes: list[str]
) -> dict[str, Any]:
    mid = merchant.id
    out: dict[str, Any] = {"id": mid}
    if merchant.name:
        out["name"] = merchant.name
    sites = db.exec(
        select(SiteRow).where(SiteRow.merchant_id == mid).order_by(col(SiteRow.key))
    ).all()
    out["sites"] = [_site(s) for s in sites if s.enabled or s.flow_id in published]
    notes += [_flowless(mid, s) for s in sites if s.flow_id not in published]
    groups = db.exec(select(GroupRow).where(GroupRow.merchant_id == mid).order_by(col(GroupRow.id)))
    out["groups"] = [_group(group) for group in groups.all()]
    accounts = db.exec(
        select(AccountRow).where(AccountRow.merchant_id == mid).order_by(col(AccountRow.id))
    ).all()
    out["agents"] = [_agent(a) for a in accounts if a.enabled]
    disabled = [a.account for a in accounts if not a.enabled]
    if disabled:
        notes.append(f"merchant {mid}: disabled accounts {', '.join(disabled)}")
    scoped = [
        a.account
        for a in accounts
        if a.enabled
        and (a.permission_group_id is not None or a.site_scope is not None or a.scope_groups)
    ]
    if scoped:
        notes.append(
            f"merchant {mid}: permission groups and scopes of {', '.join(scoped)} (they get "
            "their role's default rights when this file is imported)"
        )
    return out


def _site(site: SiteRow) -> dict[str, Any]:
    out: dict[str, Any] = {"key": site.key}
    if site.name:
        out["name"] = site.name
    out["flow"] = site.flow_id
    out["groups"] = list(site.groups)
    if site.allowed_origins:
        out["allowed_origins"] = list(site.allowed_origins)
    if site.captcha:
        out["captcha"] = True  # an uploaded background stays in the database
    if not site.enabled:
        out["enabled"] = False
    return out


def _flowless(merchant_id: str, site: SiteRow) -> str:
    """The note on a site whose flow has no published version, so no flow file is written.

    A disabled site was left out (it starts no session again); an enabled one is kept, since
    dropping a live site would change the deployment, and the validator will name it.
    """
    if site.enabled:
        return (
            f"merchant {merchant_id}: flow {site.flow_id!r} of the enabled site {site.key}: it "
            "has no published version, so `chatflow validate` reports the site until the flow "
            "file is added"
        )
    return (
        f"merchant {merchant_id}: disabled site {site.key}, whose flow {site.flow_id!r} has no "
        "published version (deleted, or never published)"
    )


def _group(group: GroupRow) -> dict[str, Any]:
    out: dict[str, Any] = {"id": group.id}
    if group.name:
        out["name"] = group.name
    for name, default in _GROUP_DEFAULTS.items():
        value = getattr(group, name)
        if value != default:
            out[name] = value
    return out


def _agent(account: AccountRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "account": account.account,
        "password_hash": account.password_hash,
        "nickname": account.nickname,
        "staff_no": account.staff_no,
        "role": account.role,
    }
    if account.groups:
        out["groups"] = dict(account.groups)
    if account.default_status != _DEFAULT_STATUS:
        out["default_status"] = account.default_status
    if account.owner:
        out["owner"] = True
    return out


def _published_flows(
    db: Session, merchant_id: str, texts: dict[str, str], notes: list[str]
) -> set[str]:
    """Add the merchant's published flows and return their ids; a flow id two merchants publish
    differently keeps the first merchant's text (a flows folder holds one file per id) and says
    so."""
    rows = published_rows(db, merchant_id)
    for row in rows:
        if row.flow_id not in texts:
            texts[row.flow_id] = row.yaml
        elif texts[row.flow_id] != row.yaml:
            notes.append(
                f"merchant {merchant_id}: its published flow {row.flow_id!r} (version "
                f"{row.version}) differs from another merchant's; the file holds the other one"
            )
    return {row.flow_id for row in rows}
