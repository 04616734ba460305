"""``chatflow export-config``: the database's tenants back as a chatflow.yaml that validates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlmodel import Session, select

from chatflow.admin_api.cli import main
from chatflow.admin_api.passwords import hash_password
from chatflow.engine import flowversions as fv
from chatflow.engine.config import DeploymentConfig
from chatflow.engine.directory import import_config
from chatflow.engine.stores.recordsdb import (
    STAFF_NO_INDEX,
    AccountRow,
    SiteRow,
    create_tables,
    records_engine,
)
from chatflow.engine.validate import validate_paths
from chatflow.nodes import LANGUAGE

FLOW = """\
id: presales
start: hi
nodes:
  hi: {type: message, text: hi, next: human}
  human: {type: transfer, group: sales, on_no_agents: bye, next: bye}
  bye: {type: end}
"""
HASH = hash_password("Demo-pass1")
CONFIG = {
    "merchants": [
        {
            "id": "acme",
            "name": "Acme 商號",
            "sites": [
                {"key": "acme-web", "flow": "presales", "groups": ["sales"]},
                {"key": "acme-old", "flow": "presales", "enabled": False},
            ],
            "groups": [{"id": "sales", "max_sessions": 3, "routing": "priority"}],
            "agents": [
                {
                    "account": "acme_owner",
                    "password_hash": HASH,
                    "nickname": "Owner",
                    "staff_no": "007",
                    "role": "admin",
                    "owner": True,
                },
                {
                    "account": "acme_agent",
                    "password_hash": HASH,
                    "nickname": "on",
                    "staff_no": "1001",
                    "groups": {"sales": 2},
                },
                {
                    "account": "acme_gone",
                    "password_hash": HASH,
                    "nickname": "Gone",
                    "staff_no": "9",
                },
            ],
        }
    ]
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    engine = records_engine(f"sqlite:///{folder / 'records.sqlite3'}")
    create_tables(engine)
    import_config(
        engine, DeploymentConfig.model_validate(CONFIG), env={}, hash_password=hash_password
    )
    fv.save_version(engine, "acme", "presales", FLOW, created_by="t", publish=True)
    with Session(engine) as db:
        gone = db.exec(select(AccountRow).where(AccountRow.account == "acme_gone")).one()
        gone.enabled = False
        db.add(gone)
        db.commit()
    engine.dispose()
    return folder


def test_the_export_validates_and_keeps_hashes_and_the_owner(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "export" / "chatflow.yaml"
    assert main(["export-config", "--data", str(data), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "not exported: merchant acme: disabled accounts acme_gone" in err
    assert (out.parent / "flows" / "presales.flow.yaml").read_text(encoding="utf-8") == FLOW
    report = validate_paths([out], LANGUAGE, strict=True)
    assert report.problems == [], report.text()
    text = out.read_text(encoding="utf-8")
    assert "Demo-pass1" not in text and "password_env" not in text
    assert text.startswith("# Exported by `chatflow export-config`")
    config = DeploymentConfig.model_validate(yaml.safe_load(text))
    [acme] = config.merchants
    assert acme.name == "Acme 商號"
    assert [(a.account, a.owner, a.password_hash == HASH) for a in acme.agents] == [
        ("acme_owner", True, True),
        ("acme_agent", False, True),
    ]
    assert acme.agents[0].staff_no == "007" and acme.agents[1].nickname == "on"
    assert [(s.key, s.enabled) for s in acme.sites] == [("acme-old", False), ("acme-web", True)]
    assert (acme.groups[0].max_sessions, acme.groups[0].routing) == (3, "priority")


def test_standard_output_and_a_missing_database(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export-config", "--data", str(data)]) == 0
    printed = capsys.readouterr().out
    assert yaml.safe_load(printed)["flows"] == "./flows"
    assert main(["export-config", "--data", str(tmp_path / "none")]) == 1
    assert "no records database at" in capsys.readouterr().err
    url = f"sqlite:///{data / 'records.sqlite3'}"
    assert main(["export-config", "--database", url]) == 0


def _site_with_flow(data: Path, key: str, flow: str, *, enabled: bool, published: bool) -> None:
    """A site of acme running ``flow``, which has a published version, or had one (deleted)."""
    engine = records_engine(f"sqlite:///{data / 'records.sqlite3'}")
    with Session(engine) as db:
        db.add(SiteRow(key=key, merchant_id="acme", flow_id=flow, enabled=enabled))
        db.commit()
    text = FLOW.replace("id: presales", f"id: {flow}")
    fv.save_version(engine, "acme", flow, text, created_by="t", publish=published)
    if not enabled:
        fv.delete_flow(engine, "acme", flow)  # a disabled site does not hold its flow
    engine.dispose()


def test_a_disabled_site_whose_flow_was_deleted_is_left_out_and_the_file_imports(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _site_with_flow(data, "acme-gone", "retired", enabled=False, published=True)
    out = tmp_path / "export" / "chatflow.yaml"
    assert main(["export-config", "--data", str(data), "-o", str(out)]) == 0
    note = "merchant acme: disabled site acme-gone, whose flow 'retired' has no published version"
    assert f"chatflow: not exported: {note}" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert f"# Not exported: {note}" in text
    assert validate_paths([out], LANGUAGE, strict=True).problems == []
    config = DeploymentConfig.model_validate(yaml.safe_load(text))
    assert [s.key for s in config.merchants[0].sites] == ["acme-old", "acme-web"]
    # the file seeds another deployment
    again = records_engine(f"sqlite:///{tmp_path / 'again.sqlite3'}")
    create_tables(again)
    import_config(again, config, env={}, hash_password=hash_password)
    assert fv.seed_flow_versions(again, out.parent / "flows", LANGUAGE) == [
        "flow 'presales' of merchant 'acme': published version 1"
    ]
    with Session(again) as db:
        assert sorted(db.exec(select(SiteRow.key)).all()) == ["acme-old", "acme-web"]
    again.dispose()


def test_an_enabled_site_whose_flow_is_not_published_is_kept_and_named(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _site_with_flow(data, "acme-new", "sketch", enabled=True, published=False)
    out = tmp_path / "export" / "chatflow.yaml"
    assert main(["export-config", "--data", str(data), "-o", str(out)]) == 0
    assert (
        "chatflow: not exported: merchant acme: flow 'sketch' of the enabled site acme-new: it "
        "has no published version" in capsys.readouterr().err
    )
    [problem] = validate_paths([out], LANGUAGE, strict=True).problems
    assert (
        problem.code == "unknown-flow" and "site 'acme-new' runs flow 'sketch'" in problem.message
    )


FILE_ONLY = {
    "http": {"allow_hosts": ["crm.acme.test"]},
    "limits": {"messages_per_session": {"count": 50, "seconds": 10}},
    "server": {"trusted_proxies": ["10.0.0.0/8"], "public_url": "https://chat.acme.test"},
}


def _deployment_file(tmp_path: Path, channels: list[dict[str, str]]) -> Path:
    """The deployment's chatflow.yaml: CONFIG with the settings only the file holds."""
    merchant = {**CONFIG["merchants"][0], "channels": channels}
    others = {"id": "elsewhere", "channels": [dict(channels[0], key="lost-im")]}
    merchants = [merchant, others] if channels else [merchant]
    path = tmp_path / "live" / "chatflow.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump({**FILE_ONLY, "merchants": merchants}), encoding="utf-8")
    return path


def test_the_deployment_file_gives_the_channels_and_settings_the_database_lacks(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channel = {
        "key": "acme-im",
        "site": "acme-web",
        "secret_env": "ACME_IM_SECRET",
        "webhook_url": "https://im.acme.test/hook",
    }
    retired = dict(channel, key="old-im", site="acme-retired")
    live = _deployment_file(tmp_path, [channel, retired])
    out = tmp_path / "export" / "chatflow.yaml"
    assert main(["export-config", "--data", str(data), "--config", str(live), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "webhook channel old-im, whose site acme-retired is not exported" in err
    assert "merchant elsewhere: its webhook channels" in err
    assert "--config" not in err  # nothing was left out for want of the file
    exported = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert {name: exported[name] for name in FILE_ONLY} == FILE_ONLY
    [acme] = DeploymentConfig.model_validate(exported).merchants
    assert [c.model_dump(exclude_defaults=True) for c in acme.channels] == [channel]
    assert validate_paths([out], LANGUAGE, strict=True).problems == []


def test_without_the_file_the_export_says_what_it_could_not_carry(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "export" / "chatflow.yaml"
    assert main(["export-config", "--data", str(data), "-o", str(out)]) == 0
    note = (
        "webhook channels and the http, limits, server, retention and privacy settings, which only"
    )
    assert f"chatflow: not exported: {note}" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert f"# Not exported: {note}" in text
    assert not {"http", "limits", "server"} & yaml.safe_load(text).keys()


def test_a_deployment_file_with_defaults_only_adds_no_sections_and_a_bad_one_is_refused(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump({"limits": {}, "merchants": []}), encoding="utf-8")
    assert main(["export-config", "--data", str(data), "--config", str(plain)]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert list(printed) == ["flows", "merchants"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("limits: {new_sessions_per_ip: {count: 0, seconds: 1}}\n", encoding="utf-8")
    assert main(["export-config", "--data", str(data), "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "is not a valid deployment config" in err and "count" in err
    assert main(["export-config", "--data", str(data), "--config", str(tmp_path / "no")]) == 1
    assert "chatflow: error:" in capsys.readouterr().err


def test_accounts_sharing_a_staff_number_are_said_not_a_traceback(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database from before staff numbers were unique may hold two enabled accounts with one:
    the export would not read back, and says so."""
    engine = records_engine(f"sqlite:///{data / 'records.sqlite3'}")
    with engine.begin() as connection:  # as the older version made it: numbers not unique
        connection.execute(text(f"DROP INDEX {STAFF_NO_INDEX}"))
    with Session(engine) as db:
        agent = db.exec(select(AccountRow).where(AccountRow.account == "acme_agent")).one()
        agent.staff_no = "007"  # the owner's
        db.add(agent)
        db.commit()
    engine.dispose()
    assert main(["export-config", "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chatflow: error: the database's deployment would not read back")
    assert "007" in err and "Traceback" not in err
