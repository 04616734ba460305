from __future__ import annotations

from typing import TYPE_CHECKING

from chatflow.engine.effects import Say

if TYPE_CHECKING:
    from conftest import Make


def test_end_says_its_message_and_finishes_the_flow(make: Make) -> None:
    out = make({"type": "end", "message": "再见，{{ name }}"}, variables={"name": "张三"}).enter()
    assert out.end == "flow" and out.goto is None
    assert out.effects == (Say("再见，张三"),)


def test_end_without_message_finishes_silently(make: Make) -> None:
    out = make({"type": "end"}).enter()
    assert out.end == "flow" and out.effects == ()


def test_a_message_rendering_blank_is_not_sent(make: Make) -> None:
    out = make({"type": "end", "message": "{{ nothing }}"}).enter()
    assert out.end == "flow" and out.effects == ()
