"""Settings of a running deployment (``chatflow serve`` options), one frozen value passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEMO_CONFIG = Path("examples/demo/chatflow.yaml")


@dataclass(frozen=True)
class ServeSettings:
    config: Path = DEMO_CONFIG
    """The deployment config (``chatflow.yaml``)."""
    host: str = "127.0.0.1"
    port: int = 8000
    data: Path = Path("data")
    """Folder of the embedded SQLite databases."""
    redis_url: str | None = None
    """Scale-out: Redis for sessions, locks, timers, queues and pub/sub."""
    database_url: str | None = None
    """Scale-out: the records database (PostgreSQL); default SQLite under ``data``."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment the agents' ``password_env`` are read from."""
    publish_flows: bool = False
    """Publish flow files that differ from their published version (``--publish-flows``);
    otherwise such a file is saved as a draft version and a warning says so."""

    @property
    def records_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data / 'records.sqlite3'}"
