"""The stage both tests and tries play on keeps only its own log records."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from chatflow.engine.flowcache import LoadedFlow
from chatflow.engine.testing.stage import Stage
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE

FLOW = "id: hi\nstart: a\nnodes:\n  a: {type: message, text: hello, next: b}\n  b: {type: end}\n"


def test_a_stage_keeps_its_own_records_not_another_sessions() -> None:
    log = logging.getLogger("chatflow.engine.elsewhere")
    flow = LoadedFlow.build(LANGUAGE.parse(loads(FLOW)))

    async def main() -> list[str]:
        ready, done = asyncio.Event(), asyncio.Event()

        async def other_session() -> None:  # started before the stage: another context
            await ready.wait()
            log.error("theirs")
            done.set()

        async def in_a_task_it_starts() -> None:
            log.error("mine too")

        other = asyncio.create_task(other_session())
        async with Stage(LANGUAGE, flow, FLOW, start=datetime(2026, 1, 1, tzinfo=UTC)) as stage:
            ready.set()
            await done.wait()
            log.warning("mine")
            await asyncio.create_task(in_a_task_it_starts())
        await other
        return [r.getMessage() for r in stage.captured.records]

    assert asyncio.run(main()) == ["mine", "mine too"]
