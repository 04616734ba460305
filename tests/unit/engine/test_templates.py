"""Flow templates: texts without template syntax take the constant path and must render exactly
as Jinja renders them; texts with syntax still see the variables of each call."""

from __future__ import annotations

import pytest

from chatflow.engine.errors import TemplateError
from chatflow.engine.templates import ENV, MAX_OUTPUT, CompiledFlowTemplates, translate_aliases

PLAIN = [
    "您好，请问有什么可以帮您？",
    "two lines\nand a trailing newline\n",
    "windows\r\nline ends\r\n",
    "braces { that } are not syntax, 100% {x}",
    "",
    "长" * (MAX_OUTPUT + 10),
]


@pytest.mark.parametrize("text", PLAIN, ids=range(len(PLAIN)))
def test_a_text_without_syntax_renders_as_jinja_renders_it(text: str) -> None:
    templates = CompiledFlowTemplates()
    expected = ENV.from_string(text).render()[:MAX_OUTPUT]
    assert templates.render(text, {}) == expected
    assert templates.render(text, {"name": "张三"}) == expected  # the cached rendering


def test_placeholders_aliases_and_blocks_still_see_each_calls_variables() -> None:
    templates = CompiledFlowTemplates()
    assert templates.render("您好 {{ name }}", {"name": "张三"}) == "您好 张三"
    assert templates.render("您好 {{ name }}", {"name": "李四"}) == "您好 李四"
    assert translate_aliases("${phone}") == "{{ phone }}"
    assert templates.render("电话 ${phone}", {"phone": "138"}) == "电话 138"
    assert templates.render("{% if vip %}VIP{% endif %}", {"vip": True}) == "VIP"
    assert templates.render("{# note #}text", {}) == "text"


def test_a_broken_template_is_refused_every_time() -> None:
    templates = CompiledFlowTemplates()
    for _ in range(2):
        with pytest.raises(TemplateError, match="does not parse"):
            templates.render("{{ name ", {})
