"""Where the raw layer lives: a DuckDB file (default) or a PostgreSQL database. One place builds
the dlt destination and gives read-only access for the pipeline's own questions, so planning,
checks and status work the same on both. PostgreSQL settings come only from environment
variables (CLARITY_PG_HOST, CLARITY_PG_PORT, CLARITY_PG_USER, CLARITY_PG_PASSWORD,
CLARITY_PG_DATABASE), which the dbt profile's `postgres` target reads too."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ingestion import settings
from ingestion.errors import ConfigurationError

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("duckdb", "postgres")


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_env(cls) -> PostgresSettings:
        missing = [v for v in ("CLARITY_PG_USER", "CLARITY_PG_DATABASE") if not os.environ.get(v)]
        if missing:
            raise ConfigurationError(
                f"CLARITY_DESTINATION=postgres needs {', '.join(missing)} (and CLARITY_PG_HOST, "
                "CLARITY_PG_PORT, CLARITY_PG_PASSWORD as needed) in the environment."
            )
        return cls(
            host=os.environ.get("CLARITY_PG_HOST", "127.0.0.1"),
            port=int(os.environ.get("CLARITY_PG_PORT", "5432")),
            user=os.environ["CLARITY_PG_USER"],
            password=os.environ.get("CLARITY_PG_PASSWORD", ""),
            database=os.environ["CLARITY_PG_DATABASE"],
        )

    def dsn(self, *, with_password: bool = True) -> str:
        secret = f":{quote(self.password, safe='')}" if self.password and with_password else ""
        user = quote(self.user, safe="")
        return f"postgresql://{user}{secret}@{self.host}:{self.port}/{self.database}"


@dataclass(frozen=True)
class Warehouse:
    kind: str
    duckdb_path: Path | None = None
    postgres: PostgresSettings | None = None

    @classmethod
    def from_env(cls, duckdb_path: Path | None = None) -> Warehouse:
        kind = os.environ.get("CLARITY_DESTINATION", "duckdb").strip().lower()
        if kind not in KINDS:
            raise ConfigurationError(f"CLARITY_DESTINATION must be one of {KINDS}, got {kind!r}")
        if kind == "postgres":
            return cls(kind, postgres=PostgresSettings.from_env())
        return cls(kind, duckdb_path=duckdb_path or settings.duckdb_path())

    @property
    def label(self) -> str:
        """Where the data is, for messages (never a password)."""
        if self.kind == "postgres":
            return self.postgres.dsn(with_password=False)
        return str(self.duckdb_path)

    def dlt_destination(self) -> Any:
        import dlt  # noqa: PLC0415

        if self.kind == "postgres":
            return dlt.destinations.postgres(credentials=self.postgres.dsn())
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials  # noqa: PLC0415

        self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        limit = settings.duckdb_memory_limit()
        credentials = DuckDbCredentials(
            str(self.duckdb_path), global_config={"memory_limit": limit} if limit else None
        )
        return dlt.destinations.duckdb(credentials)

    @contextmanager
    def reader(self) -> Iterator[Reader | None]:
        """A short read-only connection, or None while the warehouse does not exist yet."""
        if self.kind == "postgres":
            import psycopg2  # noqa: PLC0415

            connection = psycopg2.connect(self.postgres.dsn())
            connection.set_session(readonly=True, autocommit=True)
            try:
                yield Reader(connection, "postgres")
            finally:
                connection.close()
            return
        if not self.duckdb_path.exists():
            yield None
            return
        import duckdb  # noqa: PLC0415

        try:
            connection = duckdb.connect(str(self.duckdb_path), read_only=True)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            raise RuntimeError(
                f"Cannot open {self.duckdb_path}: {exc}. Another connection holds the DuckDB file "
                "(DuckDB allows one writer, and a writer blocks readers): stop it (a BI tool, a "
                "dbt run, another `clarity` command), or point BI tools at a published copy "
                "(`clarity publish`)."
            ) from None
        try:
            yield Reader(connection, "duckdb")
        finally:
            connection.close()


class Reader:
    """Queries written once with `?` placeholders; `= any(?)` takes a list on both engines."""

    def __init__(self, connection: Any, kind: str) -> None:
        self.connection = connection
        self.kind = kind

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.kind == "postgres" else sql

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        if self.kind == "postgres":
            with self.connection.cursor() as cursor:
                cursor.execute(self._sql(sql), list(params))
                return cursor.fetchall()
        return self.connection.execute(sql, list(params)).fetchall()

    def dataframe(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        if self.kind == "postgres":
            import pandas as pd  # noqa: PLC0415

            with self.connection.cursor() as cursor:
                cursor.execute(self._sql(sql), list(params))
                columns = [d[0] for d in cursor.description]
                return pd.DataFrame(cursor.fetchall(), columns=columns)
        return self.connection.execute(sql, list(params)).df()

    def tables(self, schema: str) -> set[str]:
        rows = self.fetchall(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        )
        return {row[0] for row in rows}

    def table_exists(self, schema: str, table: str) -> bool:
        return table in self.tables(schema)
