"""Packaging proof: ``pip install .`` and ``pip install -e .`` both give a working chatflow
(and the installed copy's ``chatflow init`` writes a project that validates and tests green).

The top-level folders install as ``chatflow.<folder>`` through setuptools' ``package-dir``, and
every sub-package must be listed in ``pyproject.toml``. Each install goes into a fresh venv
that sees this interpreter's site-packages through a ``.pth`` path entry (so dependencies need
no download). Not ``--system-site-packages``: that would also run the checkout's own
editable-install hook, import the checkout instead of the installed copy and hide a missing
package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from test_cli_init import WRITTEN, files_under

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("engine", "nodes", "channels", "admin_api")
PACKAGES = sorted(
    ".".join(("chatflow", *init.parent.relative_to(ROOT).parts))
    for folder in FOLDERS
    for init in (ROOT / folder).rglob("__init__.py")
    if "__pycache__" not in init.parts
)

pytestmark = pytest.mark.slow

# Imports every package and prints where each came from, then what the CLI offers.
PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    print(name, importlib.import_module(name).__file__)
"""


def _copy_sources(target: Path) -> Path:
    """The files a build needs, without caches or the checkout's own build metadata."""
    target.mkdir()
    shutil.copy(ROOT / "pyproject.toml", target)
    shutil.copy(ROOT / "README.md", target)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, target / folder, ignore=ignore)
    return target


def _make_venv(path: Path) -> Path:
    venv.create(path, with_pip=False, system_site_packages=False)
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_chatflow_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return python


def _run(*args: str | Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _check_install(python: Path, home: Path, cwd: Path) -> None:
    """Every package imports from ``home`` and the console script runs the CLI."""
    assert "chatflow.admin_api.commands" in PACKAGES
    lines = _run(python, "-c", PROBE, *PACKAGES, cwd=cwd).splitlines()
    origins = dict(line.split(" ", 1) for line in lines)
    assert sorted(origins) == PACKAGES
    for name, origin in origins.items():
        assert Path(origin).resolve().is_relative_to(home.resolve()), f"{name} from {origin}"
    script = python.parent / ("chatflow.exe" if os.name == "nt" else "chatflow")
    help_text = _run(script, "--help", cwd=cwd)
    assert "validate" in help_text and "graph" in help_text
    out = _run(script, "validate", "--strict", ROOT / "flows", cwd=cwd)
    assert out == ""


def test_pip_install_dot(tmp_path: Path) -> None:
    source = _copy_sources(tmp_path / "src")
    python = _make_venv(tmp_path / "venv")
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        source,
        cwd=tmp_path,
    )
    site = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    )
    home = Path(site.strip()) / "chatflow"
    _check_install(python, home, tmp_path)
    # the web pages ship as package data: the chat page and widget, the workbench, the editor
    for page in ("channels/static/chat.html", "channels/static/widget.js"):
        assert (home / page).is_file(), page
    staff_pages = ("workbench.html", "workbench.js", "editor.html", "editor-state.js", "admin.css")
    for name in staff_pages:
        assert (home / "admin_api" / "static" / name).is_file(), name
    _check_init(python, tmp_path / "project")


def _check_init(python: Path, project: Path) -> None:
    """``chatflow init`` from the installed copy: the starter's files ship as package data, and
    the project it writes validates and tests green there."""
    script = python.parent / ("chatflow.exe" if os.name == "nt" else "chatflow")
    project.mkdir()
    out = _run(script, "init", cwd=project)
    assert "chatflow init: wrote a starter project in .:" in out
    assert files_under(project) == WRITTEN
    assert _run(script, "validate", "--strict", ".", cwd=project) == ""
    assert _run(script, "test", "tests", cwd=project) == (
        "PASS a visitor leaves a phone number (tests/hello.test.yaml)\n1 passed, 0 failed\n"
    )


def test_pip_install_editable(tmp_path: Path) -> None:
    source = _copy_sources(tmp_path / "src")
    python = _make_venv(tmp_path / "venv")
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        "-e",
        source,
        cwd=tmp_path,
    )
    _check_install(python, source, tmp_path)
