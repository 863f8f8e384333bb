"""A throwaway PostgreSQL server for tests: initdb into a temp folder, listen on loopback at a
free port with password auth (a random password), stop and delete it afterwards. Uses the server
binaries of the machine image (/usr/lib/postgresql/<version>/bin); as root it runs them as the
`postgres` user."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    database: str

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"

    def env(self) -> dict[str, str]:
        """The variables the loader and the dbt profile read."""
        return {
            "CLARITY_PG_HOST": self.host,
            "CLARITY_PG_PORT": str(self.port),
            "CLARITY_PG_USER": self.user,
            "CLARITY_PG_PASSWORD": self.password,
            "CLARITY_PG_DATABASE": self.database,
        }


def server_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_server(database: str = "clarity") -> Iterator[PostgresServer]:
    bin_dir = server_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    user = "postgres" if as_root else os.environ.get("USER", "postgres")
    folder = Path(tempfile.mkdtemp(prefix="clarity-pg-"))
    data = folder / "data"
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    log = folder / "server.log"
    password = secrets.token_hex(12)
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    if as_root:
        shutil.chown(pwfile, "postgres", "postgres")

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, text=True)

    try:
        run(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "--auth=scram-sha-256",
            "-U",
            user,
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            "--no-sync",
        )
        run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {folder} -F -c fsync=off -c full_page_writes=off",
            "start",
        )
        subprocess.run(
            [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, database],
            check=True,
            capture_output=True,
            env={**os.environ, "PGPASSWORD": password},
        )
        yield PostgresServer("127.0.0.1", port, user, password, database)
    finally:
        try:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)
