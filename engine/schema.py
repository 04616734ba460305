"""JSON Schemas of the three file kinds, generated from the models (never written by hand).

``schemas/*.schema.json`` are committed and a test fails when they drift from this output. They
target what editors understand: the YAML language server (redhat.vscode-yaml) reads draft-07, so
pydantic's output is rewritten (``$defs`` -> ``definitions``, ``$ref`` never beside other keys,
no OpenAPI ``discriminator``) and gains ``markdownDescription`` for hovers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from chatflow.engine.config import DeploymentConfig
from chatflow.engine.language import FlowLanguage
from chatflow.engine.testfile import ConversationTest

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
GENERATED = "Generated from the chatflow models by `chatflow schema --write`; do not edit."

KINDS: dict[str, str] = {
    "flow": "flow.schema.json",
    "config": "chatflow-config.schema.json",
    "test": "flow-test.schema.json",
}
"""Schema kind -> file name in ``schemas/``."""

_TITLES = {
    "flow": "chatflow session service flow (*.flow.yaml)",
    "config": "chatflow deployment config (chatflow.yaml)",
    "test": "chatflow conversation test (*.test.yaml)",
}


def model_for(kind: str, language: FlowLanguage) -> type[BaseModel]:
    """The model whose schema a kind is."""
    if kind == "flow":
        return language.flow_model
    if kind == "config":
        return DeploymentConfig
    if kind == "test":
        return ConversationTest
    raise ValueError(f"unknown schema kind {kind!r}; expected one of: {', '.join(KINDS)}")


def schema_for(kind: str, language: FlowLanguage) -> dict[str, Any]:
    """The draft-07 schema of one file kind."""
    raw = model_for(kind, language).model_json_schema(by_alias=True, mode="validation")
    definitions = raw.pop("$defs", {})
    body = _rewrite(raw, in_properties=False)
    out: dict[str, Any] = {
        "$schema": DRAFT_07,
        "$comment": GENERATED,
        "title": _TITLES[kind],
    }
    out.update({k: v for k, v in body.items() if k != "title"})
    if definitions:
        out["definitions"] = {
            name: _rewrite(schema, in_properties=False) for name, schema in definitions.items()
        }
    return out


def render(schema: dict[str, Any]) -> str:
    """The committed text of a schema: stable, readable, Chinese kept as is."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def all_schemas(language: FlowLanguage) -> dict[str, str]:
    """File name -> rendered schema, for every kind."""
    return {name: render(schema_for(kind, language)) for kind, name in KINDS.items()}


def write_schemas(language: FlowLanguage, folder: Path) -> list[Path]:
    """Write every schema into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in all_schemas(language).items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _rewrite(value: Any, *, in_properties: bool) -> Any:
    """Make pydantic's 2020-12 flavoured output draft-07, and add editor hints."""
    if isinstance(value, list):
        return [_rewrite(item, in_properties=False) for item in value]
    if not isinstance(value, dict):
        return value
    if in_properties:  # keys are field names, not keywords
        return {k: _rewrite(v, in_properties=False) for k, v in value.items()}
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "discriminator":
            continue  # OpenAPI, not JSON Schema; the `type` consts already tell the types apart
        if key == "$ref" and isinstance(item, str):
            out[key] = item.replace("#/$defs/", "#/definitions/")
        elif key == "description" and isinstance(item, str):
            out[key] = _plain(item)
        elif key in ("properties", "definitions", "patternProperties"):
            out[key] = _rewrite(item, in_properties=True)
        elif key in ("default", "const", "enum", "examples"):
            out[key] = item
        else:
            out[key] = _rewrite(item, in_properties=False)
    if "properties" in out:
        for prop in out["properties"].values():
            prop.pop("title", None)  # "Fallback Message": noise in hovers
        tag = out["properties"].get("type", {})
        if "const" in tag and "description" not in tag and "description" in out:
            tag["description"] = f"Node type `{tag['const']}`: {out['description']}"
            tag["markdownDescription"] = tag["description"]
    patterns = out.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in out:
        # free-form keys (node ids, variable names): the value schema applies to every key
        ((pattern, item_schema),) = patterns.items()
        del out["patternProperties"]
        out["propertyNames"] = {"pattern": pattern}
        out["additionalProperties"] = item_schema
    if "$ref" in out and len(out) > 1:
        # draft-07 ignores every keyword beside $ref: keep them by wrapping the ref
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    if "description" in out:
        out["markdownDescription"] = _markdown(out)
    return out


def _plain(text: str) -> str:
    """Docstring text for a plain-text hover: ``x`` -> `x`, lines joined."""
    text = text.replace("``", "`")
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _markdown(schema: dict[str, Any]) -> str:
    """The hover text: the description, then the default value when there is one."""
    text: str = schema["description"]
    if "default" in schema and schema["default"] is not None:
        default = json.dumps(schema["default"], ensure_ascii=False)
        text += f"\n\nDefault: `{default}`"
    if "const" in schema:
        text += f"\n\nValue: `{schema['const']}`"
    return text
