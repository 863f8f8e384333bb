"""Where the raw layer lives: a DuckDB file (default) or a PostgreSQL database, as a dlt
destination. The settings come from ingestion/config.py (CLARITY_* environment variables, which
the dbt profile reads too); this module only turns them into dlt's destination and credentials."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

DESTINATION_KINDS = ("duckdb", "postgres")
PIPELINE_NAME = "clarity"
RAW_DATASET = "clarity_raw"  # the dlt dataset (schema) of the three raw tables


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    user: str
    password: str
    database: str

    def dsn(self, *, with_password: bool = True) -> str:
        secret = f":{quote(self.password, safe='')}" if self.password and with_password else ""
        user = quote(self.user, safe="")
        return f"postgresql://{user}{secret}@{self.host}:{self.port}/{self.database}"


@dataclass(frozen=True)
class Warehouse:
    kind: str
    duckdb_path: Path | None = None
    postgres: PostgresSettings | None = None
    # DuckDB's memory_limit for the loader's connection (None: DuckDB's default, 80% of RAM)
    memory_limit: str | None = None

    @property
    def label(self) -> str:
        """Where the data is, for messages (never a password)."""
        if self.kind == "postgres":
            return self.postgres.dsn(with_password=False)
        return str(self.duckdb_path)

    @property
    def exists(self) -> bool:
        """False while a DuckDB warehouse has not been created yet (nothing to ask)."""
        return self.kind != "duckdb" or self.duckdb_path.exists()

    def dlt_destination(self, *, read_only: bool = False) -> Any:
        """dlt's destination for this warehouse; `read_only` opens a DuckDB file for questions
        without taking its write lock."""
        import dlt  # noqa: PLC0415

        if self.kind == "postgres":
            return dlt.destinations.postgres(credentials=self.postgres.dsn())
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials  # noqa: PLC0415

        if not read_only:
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        credentials = DuckDbCredentials(
            str(self.duckdb_path),
            read_only=read_only,
            global_config={"memory_limit": self.memory_limit} if self.memory_limit else None,
        )
        return dlt.destinations.duckdb(credentials)
