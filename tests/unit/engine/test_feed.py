"""The in-process output feed: wake-ups, and saved frames handed to readers only when they follow on."""

from __future__ import annotations

from chatflow.engine.feed import OutputFeed, Subscription
from chatflow.engine.frames import Frame


def frame(seq: int) -> Frame:
    return Frame(seq, "message", {"from": "bot", "text": f"m{seq}"}, "")


def test_frames_that_follow_the_last_sent_seq_are_handed_over() -> None:
    feed = OutputFeed()
    with feed.subscribe("s1") as sub:
        feed("s1", [frame(3), frame(4)])
        feed("s1", [frame(5)])
        handed = sub.take_saved(2)
        assert handed is not None and [f.seq for f in handed] == [3, 4, 5]
        assert sub.take_saved(5) is None  # nothing new: read the store (it says nothing either)


def test_a_gap_or_an_overlap_sends_the_reader_to_the_store() -> None:
    feed = OutputFeed()
    with feed.subscribe("s1") as sub:
        feed("s1", [frame(7)])  # seq 6 was saved elsewhere (another worker)
        assert sub.take_saved(5) is None
        feed("s1", [frame(4), frame(5)])  # already read from the store before the wake-up
        assert sub.take_saved(5) is None


def test_a_reader_that_falls_far_behind_is_told_to_read_the_store() -> None:
    feed = OutputFeed()
    with feed.subscribe("s1") as sub:
        feed("s1", [frame(i) for i in range(1, Subscription.MAX_SAVED + 1)])
        feed("s1", [frame(Subscription.MAX_SAVED + 1)])
        assert sub.take_saved(0) is None


def test_other_sessions_are_not_handed_anything() -> None:
    feed = OutputFeed()
    with feed.subscribe("s1") as one, feed.subscribe("s2") as two:
        feed("s2", [frame(1)])
        assert one.take_saved(0) is None
        handed = two.take_saved(0)
        assert handed is not None and [f.seq for f in handed] == [1]
