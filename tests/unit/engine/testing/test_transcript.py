"""Frames as transcript lines: what failures print and ``bot`` steps match."""

from __future__ import annotations

from typing import Any

import pytest

from chatflow.engine.frames import Frame, FrameType
from chatflow.engine.testing.transcript import (
    frame_lines,
    is_output,
    output_texts,
    outputs_lines,
    transcript,
)


def frame(kind: FrameType, **body: Any) -> Frame:
    return Frame(1, kind, body, "2026-11-23T02:00:00+00:00")


@pytest.mark.parametrize(
    ("made", "lines"),
    [
        (frame("message", **{"from": "bot", "text": "hi"}), ["bot: hi"]),
        (frame("message", **{"from": "system", "text": "bye"}), ["system: bye"]),
        (frame("message", **{"from": "agent", "text": "a\nb"}), ["agent: a", "       b"]),
        (frame("queue", position=3, ahead=2), ["[queue 2]"]),
        (frame("agent_joined", staff_no="1001", nickname="Alice"), ["[agent joined 1001 Alice]"]),
        (
            frame("survey", style="star", levels=5, labels=[], prompt="rate us"),
            ["[survey star 5] rate us"],
        ),
        (frame("ended", reason="idle"), ["[ended idle]"]),
    ],
)
def test_each_frame_reads_as_a_line(made: Frame, lines: list[str]) -> None:
    assert frame_lines(made) == lines


def test_options_a_message_does_not_list_are_shown() -> None:
    menu = frame("message", **{"from": "bot", "text": "pick\n1. A\n2. B", "options": ["A", "B"]})
    form = frame("message", **{"from": "bot", "text": "size?", "options": ["S", "L"]})
    assert frame_lines(menu) == ["bot: pick", "     1. A", "     2. B"]
    assert frame_lines(form) == ["bot: size?", "     [options: S | L]"]


def test_bot_steps_see_texts_lines_and_survey_prompts() -> None:
    assert output_texts(frame("message", **{"from": "bot", "text": "hi"})) == ("hi",)
    assert output_texts(frame("ended", reason="flow")) == ("[ended flow]",)
    survey = frame("survey", style="number", levels=10, prompt="score?")
    assert output_texts(survey) == ("[survey number 10]", "score?", "[survey number 10] score?")


def test_the_visitors_own_messages_are_not_outputs() -> None:
    said = frame("message", **{"from": "visitor", "text": "1"})
    reply = frame("message", **{"from": "bot", "text": "ok"})
    assert not is_output(said) and is_output(reply)
    assert transcript([reply, said]) == ["bot: ok", "visitor: 1"]
    assert outputs_lines([said, reply]) == ["bot: ok"]
