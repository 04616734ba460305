"""The SessionStore contract, run against every implementation (memory, SQLite, Redis)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from store_kit import OLDER_AGENT_LINE, T0, frames, session, timer

from chatflow.engine.effects import HttpRequest
from chatflow.engine.errors import StoreConflict
from chatflow.engine.frames import Frame
from chatflow.engine.session import MAX_SEEN_KEYS, PendingCall, SysValues, Timer
from chatflow.engine.stores.base import SessionStore, content_version
from chatflow.engine.stores.redis import RedisStore
from chatflow.engine.stores.sqlite import SqliteStore

pytestmark = pytest.mark.anyio


async def test_a_created_session_loads_back_equal_and_as_a_copy(store: SessionStore) -> None:
    original = session(
        variables={"name": "李雷", "tags": ["a"]},
        sys=SysValues(visitor_id="v1", staff_no="1001", wait_no=2),
        state={"attempts": 2},
        timers={"ask:timeout": timer("ask:timeout", 30)},
        calls={"3": PendingCall("3", "ask", HttpRequest("POST", "https://x.test", json={"a": 1}))},
        created_at=T0,
    )
    original.remember("k1")
    original.remember("k2")
    await store.create(original, frames(1, 2))
    loaded = await store.load("s1")
    assert loaded == original
    assert loaded is not None
    loaded.variables["name"] = "changed"
    assert (await store.load("s1")) == original
    assert await store.load("nope") is None


async def test_idempotency_keys_are_kept_beside_the_document_in_a_window(
    store: SessionStore,
) -> None:
    first = session()
    first.remember("start")
    await store.create(first)
    for n in range(MAX_SEEN_KEYS + 70):  # past the window, and past a trim of forgotten keys
        current = await store.load("s1")
        assert current is not None
        current.remember(f"k{n}")
        current.version += 1
        await store.save(current, current.version - 1)
    loaded = await store.load("s1")
    assert loaded is not None
    assert loaded.seen_count == MAX_SEEN_KEYS + 71
    assert loaded.seen == [f"k{n}" for n in range(70, MAX_SEEN_KEYS + 70)]
    assert loaded.has_seen(f"k{MAX_SEEN_KEYS + 69}") and not loaded.has_seen("k69")
    assert not loaded.unsaved_keys()
    assert "k70" not in loaded.dumps()


async def test_creating_an_existing_id_conflicts(store: SessionStore) -> None:
    await store.create(session())
    with pytest.raises(StoreConflict):
        await store.create(session())


async def test_save_is_a_compare_and_set_that_writes_nothing_when_it_loses(
    store: SessionStore,
) -> None:
    await store.create(session(version=1, timers={"a": timer("a", 10)}), frames(1, 1))
    await store.save(session(version=2, node="next", timers={"b": timer("b", 20)}), 1, frames(2, 1))
    stale = session(version=2, node="stale", timers={"c": timer("c", 5)}, last_seq=9)
    with pytest.raises(StoreConflict):
        await store.save(stale, 1, frames(3, 1))
    loaded = await store.load("s1")
    assert loaded is not None and loaded.node == "next" and loaded.version == 2
    assert [f.seq for f in await store.read_outputs("s1")] == [1, 2]
    assert [t.name for t in await store.due_timers(T0 + timedelta(days=1))] == ["b"]
    with pytest.raises(StoreConflict):
        await store.save(session("ghost", version=2), 1)


async def test_save_refuses_a_version_that_was_not_bumped(store: SessionStore) -> None:
    await store.create(session(version=1))
    with pytest.raises(ValueError, match="bump"):
        await store.save(session(version=1), 1)


async def test_outputs_are_replayed_after_a_seq(store: SessionStore) -> None:
    await store.create(session(version=1), frames(1, 3))
    await store.save(session(version=2), 1, frames(4, 2))
    assert [f.seq for f in await store.read_outputs("s1")] == [1, 2, 3, 4, 5]
    replay = await store.read_outputs("s1", after_seq=3)
    assert [f.to_json()["text"] for f in replay] == ["m4", "m5"]
    assert [f.seq for f in await store.read_outputs("s1", after_seq=1, limit=2)] == [2, 3]
    assert await store.read_outputs("s1", after_seq=5) == []
    assert await store.read_outputs("other") == []
    assert replay[0] == frames(4, 1)[0]


async def test_the_log_keeps_who_wrote_an_agent_line_and_the_visitor_form_leaves_it_out(
    store: SessionStore,
) -> None:
    line = Frame(2, "message", {"from": "agent", "text": "您好"}, T0.isoformat(), "acme_bob")
    await store.create(session(version=1), [*frames(1, 1), line])
    bot, agent = await store.read_outputs("s1")
    assert (bot.author, agent.author) == ("", "acme_bob")
    assert agent == line
    assert "author" not in agent.to_json() and "acme_bob" not in agent.dumps()
    assert agent.dumps() == line.dumps()  # what the visitor is sent


async def test_the_due_index_follows_each_saved_session(store: SessionStore) -> None:
    await store.create(session("s1", timers={"late": timer("late", 60), "soon": timer("soon", 10)}))
    await store.create(session("s2", timers={"mid": timer("mid", 30, tid="7")}))
    due = await store.due_timers(T0 + timedelta(seconds=30))
    assert [(t.session_id, t.name, t.key) for t in due] == [
        ("s1", "soon", "timer:1"),
        ("s2", "mid", "timer:7"),
    ]
    assert due[0].due == T0 + timedelta(seconds=10)
    assert len(await store.due_timers(T0 + timedelta(hours=1), limit=2)) == 2
    # A restarted timer replaces the old instance; a cancelled one leaves the index.
    await store.save(session("s1", version=2, timers={"soon": timer("soon", 90, tid="9")}), 1)
    await store.save(session("s2", version=2), 1)
    due = await store.due_timers(T0 + timedelta(hours=1))
    assert [(t.session_id, t.key) for t in due] == [("s1", "timer:9")]
    assert await store.due_timers(T0) == []


async def test_due_times_compare_across_timezones(store: SessionStore) -> None:
    shanghai = timezone(timedelta(hours=8))
    local = Timer("t", "1", datetime(2026, 11, 23, 10, 0, 10, tzinfo=shanghai), None)
    await store.create(session(timers={"t": local}))
    assert await store.due_timers(T0 + timedelta(seconds=9)) == []
    assert len(await store.due_timers(T0 + timedelta(seconds=10))) == 1


async def test_sessions_are_found_by_status(store: SessionStore) -> None:
    await store.create(session("a", status="queued"))
    await store.create(session("b", status="active"))
    await store.create(session("c", status="queued"))
    assert sorted(await store.find_sessions("queued")) == ["a", "c"]
    await store.save(session("a", version=2, status="with_agent"), 1)
    assert await store.find_sessions("queued") == ["c"]
    assert await store.find_sessions("ended") == []


async def test_flow_versions_are_content_hashed_and_old_ones_stay(store: SessionStore) -> None:
    assert await store.latest_flow_version("demo") is None
    v1 = await store.put_flow_version("demo", "id: demo\n")
    assert v1 == content_version("id: demo\n") and len(v1) == 16
    assert await store.put_flow_version("demo", "id: demo\n") == v1
    v2 = await store.put_flow_version("demo", "id: demo\nname: two\n")
    assert v2 != v1
    assert await store.latest_flow_version("demo") == v2
    assert await store.get_flow_version("demo", v1) == "id: demo\n"
    assert await store.get_flow_version("demo", "nope") is None
    assert await store.get_flow_version("other", v1) is None
    assert await store.put_flow_version("demo", "id: demo\n") == v1
    assert await store.latest_flow_version("demo") == v1


async def test_a_sqlite_store_reopened_on_its_file_has_everything(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "s.db")
    await first.create(session(timers={"t": timer("t", 5)}), frames(1, 2))
    version = await first.put_flow_version("demo", "id: demo\n")
    await first.close()
    again = SqliteStore(tmp_path / "s.db")
    try:
        assert (await again.load("s1")) == session(timers={"t": timer("t", 5)})
        assert len(await again.read_outputs("s1")) == 2
        assert len(await again.due_timers(T0 + timedelta(seconds=5))) == 1
        assert await again.latest_flow_version("demo") == version
    finally:
        await again.close()


async def test_a_sqlite_file_made_before_authors_were_kept_gets_the_column(
    tmp_path: Path,
) -> None:
    first = SqliteStore(tmp_path / "s.db")
    await first.create(session(), frames(1, 1))
    await first.close()
    with sqlite3.connect(tmp_path / "s.db") as db:  # as the version before made it
        db.execute("ALTER TABLE cf_output DROP COLUMN author")
        db.execute(
            "INSERT INTO cf_output (session_id, seq, frame) VALUES ('s1', 2, ?)",
            (OLDER_AGENT_LINE,),
        )
    again, third = SqliteStore(tmp_path / "s.db"), SqliteStore(tmp_path / "s.db")  # idempotent
    try:
        line = Frame(3, "message", {"from": "agent", "text": "在"}, T0.isoformat(), "acme_bob")
        await again.save(session(version=2), 1, [line])
        old, new = await third.read_outputs("s1", after_seq=1)
        assert (old.sender, old.author, old.dumps()) == ("agent", "", OLDER_AGENT_LINE)
        assert new.author == "acme_bob" and "acme_bob" not in new.dumps()
    finally:
        await again.close()
        await third.close()


async def test_two_sqlite_stores_on_one_file_conflict_like_two_processes(tmp_path: Path) -> None:
    one, two = SqliteStore(tmp_path / "s.db"), SqliteStore(tmp_path / "s.db")
    try:
        await one.create(session(version=1))
        a, b = await one.load("s1"), await two.load("s1")
        assert a is not None and b is not None
        a.version = b.version = 2
        await one.save(a, 1)
        with pytest.raises(StoreConflict):
            await two.save(b, 1)
    finally:
        await one.close()
        await two.close()


def test_the_stores_package_names_its_public_api() -> None:
    import chatflow.engine.stores as stores

    assert stores.RedisStore is RedisStore
    assert stores.__all__ == [
        "DueTimer",
        "MemoryStore",
        "RedisStore",
        "SessionStore",
        "SqliteStore",
        "content_version",
    ]


async def test_ended_before_lists_ended_sessions_by_their_last_save_oldest_first(
    store: SessionStore,
) -> None:
    day = timedelta(days=1)
    await store.create(session("late", status="ended", updated_at=T0 - day))
    await store.create(session("early", status="ended", updated_at=T0 - 3 * day))
    await store.create(session("recent", status="ended", updated_at=T0 + day))
    await store.create(session("live", status="with_agent", updated_at=T0 - 9 * day))
    assert await store.ended_before(T0) == ["early", "late"]
    assert await store.ended_before(T0, limit=1) == ["early"]
    assert await store.ended_before(T0 - 5 * day) == []
    # taken up again (saved live): no longer listed; ended again: listed by the new save
    again = session("early", version=2, status="queued", updated_at=T0 - 2 * day)
    await store.save(again, 1)
    assert await store.ended_before(T0) == ["late"]
    await store.save(session("early", version=3, status="ended", updated_at=T0 - 2 * day), 2)
    assert await store.ended_before(T0 + 2 * day) == ["early", "late", "recent"]


async def test_forget_deletes_ended_sessions_with_their_logs_keys_and_timers(
    store: SessionStore,
) -> None:
    gone = session("gone", status="ended", updated_at=T0, timers={"t": timer("t", 5, "9")})
    gone.remember("k-gone")
    await store.create(gone, frames(1, 3))
    await store.create(session("live", timers={"t": timer("t", 5)}), frames(1, 2))
    assert await store.forget(["gone", "live", "never", "gone"]) == 1
    assert await store.load("gone") is None
    assert await store.read_outputs("gone") == []
    assert [t.session_id for t in await store.due_timers(T0 + timedelta(minutes=1))] == ["live"]
    assert await store.find_sessions("ended") == []
    assert await store.ended_before(T0 + timedelta(days=1)) == []
    assert await store.forget(["gone"]) == 0
    live = await store.load("live")
    assert live is not None and [f.seq for f in await store.read_outputs("live")] == [1, 2]
    # the id is free again, and nothing of the old session comes back with a new one
    await store.create(session("gone"))
    fresh = await store.load("gone")
    assert fresh is not None and not fresh.has_seen("k-gone")
    assert await store.read_outputs("gone") == []


async def test_inactive_before_lists_live_sessions_by_their_last_save_oldest_first(
    store: SessionStore,
) -> None:
    day = timedelta(days=1)
    await store.create(session("bot", status="active", updated_at=T0 - 2 * day))
    await store.create(session("waiting", status="queued", updated_at=T0 - 3 * day))
    await store.create(session("served", status="with_agent", updated_at=T0 - day))
    await store.create(session("busy", status="active", updated_at=T0 + day))
    await store.create(session("over", status="ended", updated_at=T0 - 9 * day))
    assert await store.inactive_before(T0) == ["waiting", "bot", "served"]
    assert await store.inactive_before(T0, limit=1) == ["waiting"]
    # a new event moves it on; ending it takes it off the list
    await store.save(session("waiting", version=2, status="queued", updated_at=T0 + day), 1)
    await store.save(session("bot", version=2, status="ended", updated_at=T0 - day), 1)
    assert await store.inactive_before(T0) == ["served"]
    assert await store.ended_before(T0) == ["over", "bot"]
