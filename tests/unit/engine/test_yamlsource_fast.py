"""The libyaml fast path of the YAML loader reads and places everything like the pure loader."""

from __future__ import annotations

import pytest

from chatflow.engine import yamlsource
from chatflow.engine.errors import LoadError
from chatflow.engine.yamlsource import loads

pytestmark = pytest.mark.skipif(yamlsource._FastLoader is None, reason="PyYAML without libyaml")

DOCS = [
    "id: demo\nnodes:\n  a: {type: message, text: 您好，欢迎咨询！, next: b}\n  b: {type: end}\n",
    "base: &b {x: 1, y: [on, off, yes, 9:00, 2026-10-01, 0o17, 0x1f, .inf, ~]}\nuse: *b\n",
    "text: |\n  第一行\n  {{ name }}\nfolded: >\n  a\n  b\n'<<': quoted merge key is text\n",
    "# yaml-language-server: $schema=../schemas/flow.schema.json\nlist:\n- 1\n- - 2\n  - 3\n",
    "",
]
BAD = [
    "a: 1\na: 2\n",
    "a: [1, 2\n",
    "a:\n\t- 1\n",
    "base: &b {x: 1}\nother:\n  <<: *b\n",
    "a: !!python/object:os.system x\n",
    "a: &a [*a]\n",
]


def both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    def read() -> object:
        try:
            doc = loads(text, "f.yaml")
        except LoadError as exc:
            return [p.format() for p in exc.problems]
        return (doc.data, doc.values, doc.keys, doc.schema_comment)

    fast = read()
    monkeypatch.setattr(yamlsource, "_FastLoader", None)
    pure = read()
    monkeypatch.undo()
    return fast, pure


@pytest.mark.parametrize("text", DOCS)
def test_same_data_and_positions(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, pure = both(text, monkeypatch)
    assert fast == pure


@pytest.mark.parametrize("text", BAD)
def test_same_problems(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, pure = both(text, monkeypatch)
    assert isinstance(pure, list) and pure
    assert fast == pure
