"""Frames as readable lines: what ``chatflow test`` matches and prints, and ``chatflow chat`` shows.

A conversation test reads like a chat log, so its failures do too: messages as ``bot: ...``,
``visitor: ...``, ``agent: ...``, ``system: ...``; the other frames as bracketed lines
(``[queue 0]``, ``[agent joined 1001 Alice]``, ``[survey star 5]``, ``[ended flow]``). A ``bot``
step matches a message by its text and any other output by its bracketed line.
"""

from __future__ import annotations

from collections.abc import Iterable

from chatflow.engine.frames import Frame


def is_output(frame: Frame) -> bool:
    """Whether the flow produced the frame (everything but the visitor's own messages echoed)."""
    return not (frame.type == "message" and frame.sender == "visitor")


def event_line(frame: Frame) -> str:
    """A non-message frame as one bracketed line; the queue shows visitors ahead (``sys.wait_no``)."""
    body = frame.body
    match frame.type:
        case "queue":
            return f"[queue {body.get('ahead', max(int(body.get('position', 1)) - 1, 0))}]"
        case "agent_joined":
            return f"[agent joined {body.get('staff_no', '')} {body.get('nickname', '')}]"
        case "survey":
            return f"[survey {body.get('style', '')} {body.get('levels', '')}]"
        case "ended":
            return f"[ended {body.get('reason', '')}]"
    return f"[{frame.type}]"


def output_texts(frame: Frame) -> tuple[str, ...]:
    """What a ``bot`` step compares: a message's text; any other frame's bracketed line, and for
    a survey its prompt too, alone and after the line (the visitor reads it like a message)."""
    if frame.type == "message":
        return (frame.text,)
    line = event_line(frame)
    prompt = str(frame.body.get("prompt", "")) if frame.type == "survey" else ""
    return (line, prompt, f"{line} {prompt}") if prompt else (line,)


def unlisted_options(frame: Frame) -> list[str]:
    """Option buttons of a message that its text does not already list (a menu lists its own)."""
    options = [str(o) for o in frame.body.get("options", ())]
    text = frame.text
    return [] if all(option in text for option in options) else options


def frame_lines(frame: Frame) -> list[str]:
    """One frame as transcript lines; a multi-line message continues under its first line."""
    if frame.type != "message":
        return [output_texts(frame)[-1]]
    head = f"{frame.sender}: "
    lines = frame.text.split("\n")
    out = [head + lines[0], *(" " * len(head) + line for line in lines[1:])]
    options = unlisted_options(frame)
    if options:
        out.append(" " * len(head) + "[options: " + " | ".join(options) + "]")
    return out


def transcript(frames: Iterable[Frame]) -> list[str]:
    """Every frame as transcript lines, in order."""
    return [line for frame in frames for line in frame_lines(frame)]


def outputs_lines(frames: Iterable[Frame]) -> list[str]:
    """The flow's outputs among ``frames`` as transcript lines (the visitor's echoes left out)."""
    return transcript(f for f in frames if is_output(f))
