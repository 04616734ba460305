"""Every image blob store keeps what it is given, whole: files, the in-memory twin, and the records
database on real SQLite and PostgreSQL (``records_url``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from chatflow.admin_api.channel_wiring import image_blobs
from chatflow.admin_api.settings import ServeSettings
from chatflow.channels.image_blobs import DatabaseBlobs, FolderBlobs, ImageBlobs, MemoryBlobs
from chatflow.engine.stores.channeltables import ImageBlobRow
from chatflow.engine.stores.recordsdb import create_tables, records_engine

MB = 1024 * 1024
LARGEST = bytes(range(256)) * (2 * MB // 256)
"""An image at the 2 MB limit, every byte value in it (a text column would mangle some)."""


def new_id() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
def records(records_url: str) -> Iterator[Engine]:
    engine = records_engine(records_url)
    create_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["folder", "memory", "sqlite", "postgresql"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ImageBlobs]:
    """Each store; the database one on both backends, as ``records_url`` gives them."""
    if request.param == "folder":
        yield FolderBlobs(tmp_path / "images")
    elif request.param == "memory":
        yield MemoryBlobs()
    else:
        url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
        if request.param == "postgresql":
            url = request.getfixturevalue("postgres_url")
        engine = records_engine(url)
        create_tables(engine)
        yield DatabaseBlobs(engine)
        engine.dispose()


def test_bytes_come_back_whole_up_to_the_limit(blobs: ImageBlobs) -> None:
    big, small = new_id(), new_id()
    blobs.put(big, LARGEST)
    blobs.put(small, b"\x89PNG\r\n\x1a\n\x00")
    assert blobs.get(big) == LARGEST
    assert blobs.get(small) == b"\x89PNG\r\n\x1a\n\x00"
    assert blobs.get(new_id()) is None


def test_discarded_bytes_are_gone_and_discarding_nothing_is_fine(blobs: ImageBlobs) -> None:
    kept, dropped = new_id(), new_id()
    blobs.put(kept, b"kept")
    blobs.put(dropped, b"dropped")
    blobs.discard(dropped)
    blobs.discard(new_id())
    assert blobs.get(dropped) is None and blobs.get(kept) == b"kept"


def test_the_database_keeps_one_row_per_image_in_its_own_table(records: Engine) -> None:
    blobs = DatabaseBlobs(records)
    image_id = new_id()
    blobs.put(image_id, LARGEST)
    with pytest.raises(SQLAlchemyError):  # an id is written once: a second put keeps nothing
        blobs.put(image_id, b"other")
    assert blobs.get(image_id) == LARGEST
    with records.connect() as db:
        [row] = db.execute(text("SELECT id, length(data) FROM image_blob")).all()
    assert tuple(row) == (image_id, 2 * MB)
    image_columns = {c["name"] for c in inspect(records).get_columns("image")}
    assert "data" not in image_columns  # listing images never reads bytes


def test_a_database_made_before_image_blobs_gets_the_table(records: Engine) -> None:
    with records.begin() as db:  # as an older version left it
        db.execute(text("DROP TABLE image_blob"))
    create_tables(records)
    blobs = DatabaseBlobs(records)
    image_id = new_id()
    blobs.put(image_id, b"abc")
    assert blobs.get(image_id) == b"abc"
    assert ImageBlobRow.__tablename__ in inspect(records).get_table_names()


def test_scale_out_keeps_images_in_the_database_and_embedded_in_the_data_folder(
    tmp_path: Path,
) -> None:
    engine = records_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    try:
        scale_out = ServeSettings(data=tmp_path / "data", database_url="postgresql://pg/db")
        assert isinstance(image_blobs(scale_out, engine), DatabaseBlobs)
        embedded = image_blobs(ServeSettings(data=tmp_path / "data"), engine)
        assert isinstance(embedded, FolderBlobs) and embedded.root == tmp_path / "data" / "images"
    finally:
        engine.dispose()
