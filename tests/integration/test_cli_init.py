"""``chatflow init``: a starter project that validates and tests green as written, never written
over an existing file without ``--force``, and the same project docs/first-flow.md builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from chatflow.admin_api.cli import main
from chatflow.admin_api.passwords import password_problems
from chatflow.engine.schema import all_schemas
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = [
    ".gitignore",
    "README.md",
    "chatflow.yaml",
    "flows/hello.flow.yaml",
    "schemas/chatflow-config.schema.json",
    "schemas/flow-test.schema.json",
    "schemas/flow.schema.json",
    "tests/hello.test.yaml",
]


def chatflow(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    """One command, in-process: its exit status, stdout and stderr."""
    capsys.readouterr()
    code = main(list(words))
    out, err = capsys.readouterr()
    return code, out, err


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_init_writes_a_project_that_validates_and_whose_test_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = chatflow(capsys, "init")
    assert (code, err) == (0, "")
    assert files_under(tmp_path) == WRITTEN
    assert out.splitlines()[: len(WRITTEN) + 1] == [
        "chatflow init: wrote a starter project in .:",
        *(f"  {name}" for name in WRITTEN),
    ]
    assert "  cd " not in out  # already there
    # the next steps, run as printed
    steps = [line.strip() for line in out.splitlines() if line.startswith("  chatflow ")]
    assert steps == [
        "chatflow validate .",
        "chatflow test tests",
        "chatflow serve --config chatflow.yaml",
    ]
    code, out, err = chatflow(capsys, *steps[0].split()[1:], "--strict")
    assert (code, out, err) == (0, "", "checked 3 files: 0 errors, 0 warnings\n")
    code, out, err = chatflow(capsys, *steps[1].split()[1:])
    assert code == 0, out + err
    assert (
        out == "PASS a visitor leaves a phone number (tests/hello.test.yaml)\n1 passed, 0 failed\n"
    )
    # the schemas are today's, and every YAML file points its editor at one of them
    for name, text in all_schemas(LANGUAGE).items():
        assert (tmp_path / "schemas" / name).read_text(encoding="utf-8") == text
    for name in ("chatflow.yaml", "flows/hello.flow.yaml", "tests/hello.test.yaml"):
        first = (tmp_path / name).read_text(encoding="utf-8").splitlines()[0]
        schema = first.removeprefix("# yaml-language-server: $schema=")
        assert schema != first and (tmp_path / name).parent.joinpath(schema).is_file(), name
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "/data/"


def test_the_printed_password_passes_the_accounts_rule_and_differs_each_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passwords = []
    for name in ("a", "b"):
        code, out, _ = chatflow(capsys, "init", str(tmp_path / name))
        assert code == 0
        (password,) = re.findall(r"export CHATFLOW_ADMIN_PASSWORD='([^']+)'", out)
        assert password_problems(password) == []
        passwords.append(password)
    assert passwords[0] != passwords[1]


def test_init_makes_a_missing_folder_and_says_to_cd_into_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = chatflow(capsys, "init", "new shop/support")
    assert code == 0
    assert files_under(tmp_path / "new shop" / "support") == WRITTEN
    assert "  cd 'new shop/support'\n" in out  # quoted for the shell
    code, _, err = chatflow(capsys, "validate", "--strict", "new shop/support")
    assert (code, err) == (0, "checked 3 files: 0 errors, 0 warnings\n")


def test_init_refuses_to_overwrite_lists_what_exists_and_force_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "flows").mkdir()
    mine = "id: hello\n# my own flow\n"
    (tmp_path / "flows" / "hello.flow.yaml").write_text(mine, encoding="utf-8")
    (tmp_path / "chatflow.yaml").write_text("flows: ./flows\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    code, out, err = chatflow(capsys, "init", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"chatflow init: these files exist already in {tmp_path}:",
        "  chatflow.yaml",
        "  flows/hello.flow.yaml",
        "chatflow init: nothing was written; choose an empty folder, or add --force to "
        "overwrite them",
    ]
    assert files_under(tmp_path) == ["chatflow.yaml", "flows/hello.flow.yaml", "notes.txt"]
    assert (tmp_path / "flows" / "hello.flow.yaml").read_text(encoding="utf-8") == mine

    code, out, err = chatflow(capsys, "init", "--force", str(tmp_path))
    assert (code, err) == (0, "")
    assert files_under(tmp_path) == sorted([*WRITTEN, "notes.txt"])
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert "id: hello" in (tmp_path / "flows" / "hello.flow.yaml").read_text(encoding="utf-8")
    code, _, err = chatflow(capsys, "validate", "--strict", str(tmp_path))
    assert (code, err) == (0, "checked 3 files: 0 errors, 0 warnings\n")


def test_init_into_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "chatflow.yaml"
    target.write_text("x: 1\n", encoding="utf-8")
    code, out, err = chatflow(capsys, "init", str(target))
    assert (code, out) == (2, "")
    assert err == f"chatflow init: {target} is a file, not a folder\n"


def test_init_writes_the_project_docs_first_flow_builds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """first-flow.md says ``chatflow init`` writes the project it ends with: the same data in
    each file and the same editor line (the starter's files only add comments)."""
    guide = (ROOT / "docs" / "first-flow.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"Create\s+`([^`]+)`.*?```yaml\n(.*?)```", guide, re.DOTALL))
    assert sorted(documented) == ["chatflow.yaml", "flows/hello.flow.yaml", "tests/hello.test.yaml"]
    assert "`chatflow init`" in guide
    assert chatflow(capsys, "init", str(tmp_path))[0] == 0
    for name, text in documented.items():
        written = (tmp_path / name).read_text(encoding="utf-8")
        assert written.splitlines()[0] == text.splitlines()[0], name
        assert yaml.safe_load(written) == yaml.safe_load(text), name
