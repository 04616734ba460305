"""Benchmark of the records export: 100,000 conversations to XLSX, streamed, against CSV.

Both sides do the same work but the last step: read the records in keyset batches
(``iter_records``, the export route's reader), turn each into its cells (``record_cells``:
formatting times, neutralising formulas), then write. The baseline writes with ``csv.writer``;
the measured side writes XLSX with openpyxl's write-only workbook (``exports.write_xlsx``). Both
write to a temporary file. Printed: rows/s (best of the repeats, without tracemalloc), the peak of
the Python heap (a separate run under tracemalloc; lxml's C buffers are not counted), and the
ratios. For scale, the peak of merely fetching every row into a list is printed too: that is what
streaming avoids.

Run: ``python bench/export.py [--rows 100000] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert
from sqlmodel import Session, select

from chatflow.admin_api import exports
from chatflow.admin_api.auth import Principal
from chatflow.admin_api.permissions import Actor
from chatflow.admin_api.recordquery import RecordFilter, iter_records
from chatflow.admin_api.routes_record_exports import RECORD_HEADERS, record_cells
from chatflow.engine.stores.contenttables import VisitorRow
from chatflow.engine.stores.recordsdb import (
    ConversationRow,
    MerchantRow,
    create_tables,
    records_engine,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Taipei")


def populate(engine: Engine, rows: int) -> None:
    """``rows`` served conversations over a year, a third with a visitor profile."""
    with Session(engine) as db:
        db.add(MerchantRow(id="acme"))
        db.commit()
    chunk: list[dict[str, object]] = []
    profiles: list[dict[str, object]] = []
    with engine.begin() as conn:
        for n in range(rows):
            start = T0 + timedelta(seconds=n * 300)
            agent = f"agent{n % 40:03d}"
            chunk.append(
                {
                    "session_id": f"s{n:08d}",
                    "merchant_id": "acme",
                    "site_key": "acme-web" if n % 3 else "acme-shop",
                    "visitor_id": f"v{n % 20000:06d}",
                    "flow_id": "presales",
                    "status": "ended",
                    "group_id": "presales" if n % 4 else "vip",
                    "agent_account": agent,
                    "agents": [agent],
                    "started_at": start,
                    "queued_at": start + timedelta(seconds=20),
                    "first_ring_at": start + timedelta(seconds=25),
                    "agent_joined_at": start + timedelta(seconds=30 + n % 17),
                    "first_agent_reply_at": start + timedelta(seconds=40),
                    "ended_at": start + timedelta(seconds=200 + n % 400),
                    "end_reason": "agent",
                    "closed_by": "seat",
                    "rating": n % 5 + 1,
                    "abandoned": False,
                }
            )
            if n < 20000 and n % 3 == 0:
                profiles.append(
                    {"merchant_id": "acme", "visitor_id": f"v{n:06d}", "name": f"=王小明{n}"}
                )
            if len(chunk) == 5000:
                conn.execute(insert(ConversationRow), chunk)
                chunk = []
        if chunk:
            conn.execute(insert(ConversationRow), chunk)
        if profiles:
            conn.execute(insert(VisitorRow), profiles)


def actor() -> Actor:
    principal = Principal(1, "owner01", "acme", "admin", "Owner", "1")
    return Actor(principal, {}, None, "all", frozenset(), owner=True)


def cells(engine: Engine) -> Iterator[list[object]]:
    wanted = RecordFilter(start=T0 - timedelta(days=1), end=T0 + timedelta(days=3650))
    for batch in iter_records(engine, actor(), wanted):
        for record in batch:
            yield record_cells(record, ZONE)


def write_csv(engine: Engine, out: IO[bytes]) -> None:
    with open(out.fileno(), "w", encoding="utf-8", newline="", closefd=False) as text:
        writer = csv.writer(text)
        writer.writerow(RECORD_HEADERS)
        writer.writerows(cells(engine))


def write_xlsx(engine: Engine, out: IO[bytes]) -> None:
    exports.write_xlsx(out, [exports.Table("records", RECORD_HEADERS, cells(engine))])


def fetch_all(engine: Engine, out: IO[bytes]) -> None:
    with Session(engine) as db:
        everything = db.exec(select(ConversationRow)).all()
    assert everything


def timed(write: Callable[[Engine, IO[bytes]], None], engine: Engine) -> tuple[float, int]:
    with tempfile.TemporaryFile() as out:
        gc.collect()
        start = time.perf_counter()
        write(engine, out)
        seconds = time.perf_counter() - start
        size = out.seek(0, 2)
    return seconds, size


def peak(write: Callable[[Engine, IO[bytes]], None], engine: Engine) -> int:
    with tempfile.TemporaryFile() as out:
        gc.collect()
        tracemalloc.start()
        try:
            write(engine, out)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = records_engine(f"sqlite:///{Path(folder) / 'records.sqlite3'}")
        create_tables(engine)
        started = time.perf_counter()
        populate(engine, args.rows)
        print(f"{args.rows:,} records written in {time.perf_counter() - started:.1f} s")
        results = {}
        for name, write in (("csv.writer (baseline)", write_csv), ("xlsx write-only", write_xlsx)):
            runs = [timed(write, engine) for _ in range(args.repeat)]
            seconds = min(s for s, _ in runs)
            results[name] = (args.rows / seconds, peak(write, engine), runs[0][1])
        fetch_peak = peak(fetch_all, engine)
        engine.dispose()
    print(f"{'':24} {'rows/s':>10} {'peak heap':>12} {'file':>10}")
    for name, (rate, heap, size) in results.items():
        print(f"{name:24} {rate:10,.0f} {heap / 2**20:9.1f} MiB {size / 2**20:7.1f} MiB")
    (csv_rate, csv_heap, _), (xlsx_rate, xlsx_heap, _) = results.values()
    print(f"{'fetch every row at once':24} {'':>10} {fetch_peak / 2**20:9.1f} MiB")
    print(
        f"ratios: xlsx/csv speed {xlsx_rate / csv_rate:.2f}x, "
        f"xlsx/csv peak heap {xlsx_heap / csv_heap:.2f}x, "
        f"xlsx peak / fetch-all peak {xlsx_heap / fetch_peak:.2f}x"
    )


if __name__ == "__main__":
    main()
