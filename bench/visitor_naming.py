"""Benchmark of naming a visitor at the start of a conversation (``content.name_visitor``).

A client that knows its user sends ``name`` with every new session; the name fills the
merchant's profile of the visitor while that has none. The cost that matters is a returning
visitor's, who is named already (a member's every visit): it should weigh no more than the
blacklist read every session start makes already (``content.is_blacklisted``), the same-run
baseline. A new visitor's first name (an insert) is shown beside it. On SQLite in a temporary
folder, the embedded default; times are wall-clock microseconds per call, best of the rounds.

Run: ``python bench/visitor_naming.py [--calls N] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from chatflow.engine.content import is_blacklisted, name_visitor
from chatflow.engine.stores.recordsdb import MerchantRow, create_tables, records_engine


def per_call(visitor_ids: list[str], work: Callable[[str], object]) -> float:
    started = time.perf_counter()
    for visitor_id in visitor_ids:
        work(visitor_id)
    return (time.perf_counter() - started) / len(visitor_ids) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = records_engine(f"sqlite:///{Path(folder) / 'records.sqlite3'}")
        create_tables(engine)
        with Session(engine) as db:
            db.add(MerchantRow(id="acme"))
            db.commit()
        at = datetime.now(UTC)
        best = {"baseline": float("inf"), "new": float("inf"), "named": float("inf")}
        for r in range(args.rounds):
            ids = [f"v-{r}-{i}" for i in range(args.calls)]
            timings = {
                "baseline": per_call(ids, lambda v: is_blacklisted(engine, "acme", v)),
                "new": per_call(ids, lambda v: name_visitor(engine, "acme", v, "王", at)),
                "named": per_call(ids, lambda v: name_visitor(engine, "acme", v, "Other", at)),
            }
            print(f"round {r + 1}: " + ", ".join(f"{k} {v:.0f} us" for k, v in timings.items()))
            best = {k: min(best[k], timings[k]) for k in best}
        engine.dispose()
    base = best["baseline"]
    print(f"blacklist read (baseline): {base:.0f} us a call")
    print(f"name a new visitor:        {best['new']:.0f} us ({best['new'] / base:.1f}x)")
    print(f"a visitor named already:   {best['named']:.0f} us ({best['named'] / base:.1f}x)")


if __name__ == "__main__":
    main()
