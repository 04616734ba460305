"""``chatflow export-config``: the database's tenants back as a chatflow.yaml that validates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from chatflow.admin_api.cli import main
from chatflow.admin_api.passwords import hash_password
from chatflow.engine import flowversions as fv
from chatflow.engine.config import DeploymentConfig
from chatflow.engine.directory import import_config
from chatflow.engine.stores.recordsdb import AccountRow, create_tables, records_engine
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
