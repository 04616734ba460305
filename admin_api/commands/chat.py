"""``chatflow chat FLOW``: talk to a flow in the terminal, one line of input at a time.

It runs the real runtime and node types on the memory store, with a frozen clock that moves
only on ``/wait`` (so an idle timeout of ten minutes takes no time to try) and simulated agents
driven by ``/agent...`` commands. HTTP nodes call the network through the SSRF-guarded
:class:`~chatflow.engine.httpcall.HttpxCaller`, or a test file's mocks with ``--mock``. Input is
read line by line from stdin, so a conversation can be scripted (``chatflow chat reception <
script.txt``); when stdin is not a terminal each input line is echoed as ``> line``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatflow.engine.frames import Frame
    from chatflow.engine.testfile import HttpMock
    from chatflow.engine.testing import Conversation, Mismatch

HELP = """\
Type what the visitor says. Commands:
  /wait SECONDS          let time pass (timers fire: idle timeout, survey expiry, queue timeout)
  /vars                  show the node, status and variables
  /agent-join [NO [NAME]] an agent accepts the queued session (default: 1001 Agent)
  /agent TEXT            the agent says TEXT
  /agent-end             the agent ends the service
  /rate N                answer the survey with N
  /end                   the visitor closes the conversation
  /quit                  leave (also end of input)
A number answers the numbered options listed under a message."""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "chat",
        help="talk to a flow in the terminal",
        description=(
            "Talk to a flow in the terminal: the bot's messages are printed, your lines are what "
            "the visitor says, /commands move the clock and play the agent (/help lists them). "
            "FLOW is a *.flow.yaml path or a flow id, looked up in the current folder and then "
            "in flows/ folders up the tree."
        ),
    )
    parser.add_argument("flow", metavar="FLOW", help="flow file or flow id")
    parser.add_argument(
        "--now",
        metavar="TIME",
        help="start time, ISO 8601 with offset (default: the real time); the clock then moves "
        "only on /wait",
    )
    parser.add_argument(
        "--mock",
        metavar="FILE",
        help="answer HTTP calls from this *.test.yaml's http mocks instead of the network",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable at the start (VALUE is JSON, or else text); repeatable",
    )
    parser.add_argument(
        "--offline",
        action="append",
        default=[],
        metavar="GROUP",
        help="a skill group with no agent online (transfers to it get on_no_agents); repeatable",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a private host or CIDR HTTP nodes may call (e.g. 127.0.0.1); repeatable",
    )
    parser.add_argument(
        "--channel",
        default="",
        metavar="NAME",
        help="the channel name templates see as sys.channel_name (default: empty)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatflow.admin_api.commands._flowarg import find_flow
    from chatflow.engine.catalog import Catalog
    from chatflow.nodes import LANGUAGE

    catalog = Catalog(LANGUAGE)
    loaded = find_flow(catalog, args.flow, "chat")
    if loaded is None:
        return 1
    problems = list(loaded.problems)
    mocks: list[HttpMock] | None = None
    if args.mock:
        test = catalog.test(Path(args.mock))
        problems += test.problems
        mocks = list(test.model.http) if test.model is not None else None
    if loaded.model is None or problems or (args.mock and mocks is None):
        for problem in problems:
            print(problem.format(), file=sys.stderr)
        print("chatflow chat: fix the files first", file=sys.stderr)
        return 1
    try:
        variables = dict(_variable(item) for item in args.var)
        start = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError(f"--now {args.now!r} has no UTC offset (write +08:00 or Z)")
    except ValueError as exc:
        print(f"chatflow chat: {exc}", file=sys.stderr)
        return 2
    text = loaded.path.read_text(encoding="utf-8")
    options = _Options(start, variables, mocks, args.offline, args.allow_host, args.channel)
    return asyncio.run(_chat(text, options, sys.stdin, sys.stdout))


def _variable(item: str) -> tuple[str, Any]:
    name, sep, raw = item.partition("=")
    if not sep or not name:
        raise ValueError(f"--var {item!r} is not NAME=VALUE")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw


@dataclass(frozen=True)
class _Options:
    start: datetime
    variables: dict[str, Any]
    mocks: list[HttpMock] | None
    offline: list[str]
    allow_hosts: list[str]
    channel: str


async def _chat(flow_text: str, options: _Options, stdin: IO[str], out: IO[str]) -> int:
    from chatflow.engine.clock import FrozenClock
    from chatflow.engine.config import HttpPolicy
    from chatflow.engine.effects import HttpCaller
    from chatflow.engine.errors import ChatflowError
    from chatflow.engine.httpcall import HttpxCaller, MockCaller
    from chatflow.engine.runtime import Runtime
    from chatflow.engine.stores.memory import MemoryStore
    from chatflow.engine.testing import Conversation, SimulatedAgents
    from chatflow.nodes import LANGUAGE

    clock = FrozenClock(options.start)
    real = None
    http: HttpCaller
    if options.mocks is not None:
        http = MockCaller(options.mocks)
    else:
        http = real = HttpxCaller(HttpPolicy(allow_hosts=options.allow_hosts))
    agents = SimulatedAgents(offline=options.offline)
    runtime = Runtime(MemoryStore(), LANGUAGE, clock=clock, http=http, handoff=agents)
    agents.bind(runtime)
    screen = _Screen(out, echo=not stdin.isatty())
    try:
        flow_id, _version = await runtime.publish(flow_text)
        sid = await runtime.start(
            flow_id, variables=options.variables, channel_name=options.channel
        )
        talk = Conversation(runtime, clock, agents, sid)
        await talk.settle()
        screen.show(talk.frames)
        if stdin.isatty():
            screen.line("(type /help for the commands)")
        while True:
            if stdin.isatty():
                out.write("> ")
                out.flush()
            line = stdin.readline()
            if not line:
                break
            line = line.rstrip("\r\n")
            screen.input(line)
            if not line.strip():
                continue
            try:
                keep_going = await _command(line, talk, screen)
            except ChatflowError as exc:
                screen.line(f"(the flow failed: {exc})")
                continue
            if not keep_going:
                break
            screen.show(talk.frames, agent_serving=sid in agents.serving)
    finally:
        await runtime.aclose()
        if real is not None:
            await real.aclose()
    return 0


async def _command(line: str, talk: Conversation, screen: _Screen) -> bool:
    """Carry out one input line; False to stop."""
    from chatflow.engine.events import Choice, Rating, VisitorEnded, VisitorText

    sid = talk.session_id
    if not line.startswith("/"):
        choice = screen.numbered.get(line.strip())
        event = Choice(talk.key(), choice) if choice else VisitorText(talk.key(), line)
        screen.ignored(await talk.send(event, "text"))
        return True
    name, _, rest = line.partition(" ")
    rest = rest.strip()
    if name == "/quit":
        return False
    if name == "/help":
        screen.line(HELP)
    elif name == "/wait":
        try:
            seconds = float(rest)
        except ValueError:
            screen.line("(usage: /wait SECONDS)")
            return True
        if seconds < 0:
            screen.line("(time does not go backwards)")
            return True
        await talk.advance(seconds)
        screen.line(f"(now {talk.clock.now().isoformat()})")
    elif name == "/vars":
        session = await talk.runtime.get(sid)
        screen.line(f"node: {session.node} ({session.status})")
        screen.line("vars: " + json.dumps(session.variables, ensure_ascii=False, sort_keys=True))
    elif name == "/agent-join":
        parts = shlex.split(rest) if rest else []
        staff_no = parts[0] if parts else "1001"
        nickname = " ".join(parts[1:]) or "Agent"
        screen.ignored(await talk.send(talk.agents.joins(sid, staff_no, nickname), "join"))
    elif name == "/agent":
        screen.ignored(await talk.send(talk.agents.says(sid, rest), "agent"))
    elif name == "/agent-end":
        screen.ignored(await talk.send(talk.agents.ends(sid), "agent end"))
    elif name == "/rate":
        if not rest.lstrip("-").isdigit():
            screen.line("(usage: /rate N)")
            return True
        screen.ignored(await talk.send(Rating(talk.key(), int(rest)), "rate"))
    elif name == "/end":
        screen.ignored(await talk.send(VisitorEnded(talk.key()), "end"))
    else:
        screen.line(f"(unknown command {name}; /help lists them)")
    return True


class _Screen:
    """What the terminal shows: new frames as readable lines, numbered options, notes."""

    def __init__(self, out: IO[str], *, echo: bool) -> None:
        self.out = out
        self.echo = echo
        self.shown = 0
        self.numbered: dict[str, str] = {}
        """Number typed -> option label, for options a message offers without listing them."""

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def input(self, text: str) -> None:
        if self.echo:
            self.line(f"> {text}")

    def ignored(self, mismatch: Mismatch | None) -> None:
        if mismatch is not None:
            self.line(f"({mismatch.got[0]})")

    def show(self, frames: list[Frame], *, agent_serving: bool = False) -> None:
        """New frames; with an agent serving, the visitor's text is noted as what the agent
        reads (agents read the session's output log)."""
        from chatflow.engine.testing.transcript import frame_lines, is_output, unlisted_options

        for frame in frames[self.shown :]:
            said = frame.body.get("text") if frame.body.get("from") == "visitor" else None
            if agent_serving and frame.type == "message" and said is not None:
                self.line(f"(the agent reads: {said})")
            if not is_output(frame):
                continue
            lines = frame_lines(frame)
            options = unlisted_options(frame)
            if frame.type == "message":
                self.numbered = {str(n): label for n, label in enumerate(options, 1)}
            if options:
                lines = lines[:-1] + [f"   {n}. {label}" for n, label in enumerate(options, 1)]
            for text in lines:
                self.line(text)
            if frame.type == "survey":
                self.line("(answer with /rate N or type the score)")
            if frame.type == "ended":
                self.line("(the conversation has ended; /vars shows the variables, /quit leaves)")
        self.shown = len(frames)
