"""Benchmark of ``chatflow test``: conversation tests per second against parsing a flow.

Every figure is printed next to a baseline measured in the same run, so results compare across
machines. The baseline is parsing the shipped flows' YAML into flow models (reading with
positions + validating with the node models), the work ``chatflow test`` does once per flow.
Measured:

* tests/s running the shipped ``flows/*.test.yaml`` already loaded (the per-test cost: a memory
  store, a runtime, the steps);
* tests/s end to end as ``chatflow test flows`` does it in one process: finding, reading and
  checking every test file, parsing each flow once, running.

Run: ``python bench/flowtests.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from chatflow.engine.testing import ConversationRunner, PreparedTest
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE

FLOWS = Path(__file__).resolve().parents[1] / "flows"


def best_rate(run: Callable[[], tuple[int, float]], repeat: int) -> float:
    """Best of ``repeat`` runs in units per second; ``run`` returns (units done, seconds)."""
    best = 0.0
    for _ in range(repeat):
        done, seconds = run()
        best = max(best, done / seconds)
    return best


def flow_parses(rounds: int) -> tuple[int, float]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(FLOWS.glob("*.flow.yaml"))]
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            LANGUAGE.parse(loads(text))
    return rounds * len(texts), time.perf_counter() - start


def prepared_tests() -> tuple[ConversationRunner, list[PreparedTest]]:
    runner = ConversationRunner(LANGUAGE)
    prepared = [runner.prepare(p) for p in sorted(FLOWS.glob("*.test.yaml"))]
    ready = [p for p in prepared if isinstance(p, PreparedTest)]
    assert len(ready) == len(prepared), "a shipped test file does not load"
    return runner, ready


async def run_tests(rounds: int) -> tuple[int, float]:
    runner, tests = prepared_tests()
    start = time.perf_counter()
    for _ in range(rounds):
        for test in tests:
            result = await runner.run(test)
            assert result.passed, result.text()
    return rounds * len(tests), time.perf_counter() - start


async def end_to_end(rounds: int) -> tuple[int, float]:
    done = 0
    start = time.perf_counter()
    for _ in range(rounds):
        report = await ConversationRunner(LANGUAGE).run_paths([FLOWS])
        assert report.exit_code == 0, report.text()
        done += len(report.results)
    return done, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    args = parser.parse_args()
    rounds = 2 if args.quick else 20
    repeat = 1 if args.quick else 3

    parses = best_rate(lambda: flow_parses(rounds * 5), repeat)
    tests = best_rate(lambda: asyncio.run(run_tests(rounds)), repeat)
    whole = best_rate(lambda: asyncio.run(end_to_end(max(rounds // 4, 1))), repeat)
    count = len(list(FLOWS.glob("*.test.yaml")))
    print(f"flow parses/s (baseline)                {parses:>10,.0f}")
    print(
        f"tests/s, loaded ({count} shipped tests)     {tests:>10,.0f}   "
        f"1 test = {parses / tests:.2f} flow parses"
    )
    print(
        f"tests/s, end to end (chatflow test)     {whole:>10,.0f}   "
        f"1 test = {parses / whole:.2f} flow parses"
    )


if __name__ == "__main__":
    main()
