"""The generated chatflow.yaml reference: committed copy matches the models, nothing left out,
and its example is a valid deployment config."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel

from chatflow.engine.config import DeploymentConfig
from chatflow.engine.configdocs import DOC_NAME, EXAMPLE, reference
from chatflow.engine.modeldocs import submodels

ROOT = Path(__file__).resolve().parents[3]


def test_committed_reference_matches_the_models() -> None:
    committed = ROOT / "docs" / DOC_NAME
    assert committed.read_text(encoding="utf-8") == reference(), (
        "docs/config-reference.md differs from the config models: run "
        "`chatflow schema --docs --write` and commit it"
    )


def test_every_model_has_a_section_with_every_field_and_a_description() -> None:
    page = reference()
    models: list[type[BaseModel]] = [DeploymentConfig, *submodels(DeploymentConfig, set())]
    for model in models:
        anchor = f'<a id="{model.__name__.lower()}"></a>'
        assert anchor in page, model.__name__
        section = page.split(anchor, 1)[1].split("<a id=", 1)[0]
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in section, (model.__name__, name)
            assert field.description, f"{model.__name__}.{name} needs a docstring"


def test_the_example_is_a_valid_config() -> None:
    text = EXAMPLE.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = DeploymentConfig.model_validate(yaml.safe_load(text))
    assert config.merchants[0].channels[0].key == "acme-im"
    assert config.server.public_url == "https://chat.acme.com"


def test_a_rate_default_shows_its_numbers_and_a_section_default_points_below() -> None:
    page = reference()
    assert '| `new_sessions_per_ip` | [Rate](#rate) | `{"count":20,"seconds":60.0}` |' in page
    assert "| `limits` | [Limits](#limits) | (see below) |" in page
