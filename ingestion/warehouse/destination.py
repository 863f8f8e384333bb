"""Where the raw layer lives: a DuckDB file (default), a PostgreSQL database, or Parquet files in
a bucket (dlt's filesystem destination: a local folder, s3://, gs://, az://), as a dlt
destination. The settings come from ingestion/config.py (CLARITY_* environment variables, which
the dbt profile reads too, and dlt's own `[destination.filesystem] bucket_url`); this module only
turns them into dlt's destination and checks that a bucket can be written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

DESTINATION_KINDS = ("duckdb", "postgres", "filesystem")
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
    # the filesystem destination's bucket (file:///abs/folder, s3://bucket/path, ...)
    bucket_url: str | None = None

    @property
    def label(self) -> str:
        """Where the data is, for messages (never a password)."""
        if self.kind == "postgres":
            return self.postgres.dsn(with_password=False)
        if self.kind == "filesystem":
            return f"{self.bucket_url.rstrip('/')}/{RAW_DATASET} (Parquet)"
        return str(self.duckdb_path)

    @property
    def exists(self) -> bool:
        """False while a DuckDB warehouse has not been created yet (nothing to ask)."""
        return self.kind != "duckdb" or self.duckdb_path.exists()

    @property
    def loader_file_format(self) -> str | None:
        """The file format of dlt's loads: Parquet for the filesystem destination."""
        return "parquet" if self.kind == "filesystem" else None

    def parquet_location(self) -> str:
        """Where the raw tables' Parquet folders are (`<location>/<table>/*.parquet`), as DuckDB
        and Spark read it: a local path for file://, the URL otherwise."""
        url = self.bucket_url.rstrip("/")
        if url.startswith("file://"):
            url = url.removeprefix("file://")
        return f"{url}/{RAW_DATASET}"

    def check_writable(self) -> None:
        """For a bucket: write and remove a probe file, so that a path that does not exist or
        cannot be written stops a run before any API request is spent."""
        if self.kind != "filesystem":
            return
        from dlt.common.configuration import resolve_configuration
        from dlt.common.storages.configuration import FilesystemConfiguration
        from dlt.common.storages.fsspec_filesystem import fsspec_from_config

        from ingestion.errors import ConfigurationError

        try:
            config = resolve_configuration(
                FilesystemConfiguration(bucket_url=self.bucket_url),
                sections=("destination", "filesystem"),
            )
            fs, path = fsspec_from_config(config)
            probe = f"{path.rstrip('/')}/.clarity-write-probe"
            fs.pipe(probe, b"clarity")
            fs.rm(probe)
        except Exception as exc:  # noqa: BLE001 - any storage error means: cannot write there
            raise ConfigurationError(
                f"Cannot write to the bucket {self.bucket_url} ({exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}). Create the folder or "
                "bucket, or fix [destination.filesystem] bucket_url and its credentials; no "
                "request was sent to Clarity."
            ) from None

    def dlt_destination(self, *, read_only: bool = False) -> Any:
        """dlt's destination for this warehouse; `read_only` opens a DuckDB file for questions
        without taking its write lock."""
        import dlt

        if self.kind == "postgres":
            return dlt.destinations.postgres(credentials=self.postgres.dsn())
        if self.kind == "filesystem":
            return dlt.destinations.filesystem(bucket_url=self.bucket_url)
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        if not read_only:
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        credentials = DuckDbCredentials(
            str(self.duckdb_path),
            read_only=read_only,
            global_config={"memory_limit": self.memory_limit} if self.memory_limit else None,
        )
        return dlt.destinations.duckdb(credentials)
