"""The throwaway PostgreSQL database the benches run in (shared by the scripts).

DATABASE_URL only says which PostgreSQL server (and credentials) to use. A bench
asks for its own database next to yours, creates it afresh, points Django at it
and drops it again at the end (unless --keep):

    db = bench_database("locatr_bench_sweep", script="sweep_bench")
    if db is None:
        return 2  # not PostgreSQL, or pointing at the wrong database; said why
    with throwaway_database(db, keep=args.keep):
        setup_django(db, {"DEBUG": "0"})
        seconds = migrate()
        ...

The scripts run as `.venv/bin/python bench/<script>.py`, so this module is found
on sys.path as `_benchdb` (the script's own directory).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
SETTINGS_MODULE = "locatr.settings"


@dataclass(frozen=True)
class BenchDatabase:
    """The throwaway database `name` on the server DATABASE_URL points at."""

    name: str
    url: str  # DATABASE_URL of the throwaway database
    server: dict[str, Any]  # psycopg2 parameters for your own database (admin)
    force_drop: bool  # DROP DATABASE ... WITH (FORCE): end other sessions first


def bench_database(
    name: str,
    *,
    script: str,
    refuse_test_databases: bool = True,
    force_drop: bool = True,
) -> BenchDatabase | None:
    """The throwaway database `name` next to the one DATABASE_URL points at, or
    None (after saying why on stderr) if DATABASE_URL is not PostgreSQL or points
    at `name` itself (or, with refuse_test_databases, at a `test_*` database).

    `script` names the bench in the message; impact_bench keeps its own wording
    (refuse_test_databases=False) for a URL that points at its throwaway database.
    """
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if parts.scheme not in POSTGRES_SCHEMES:
        print(
            f"{script} needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:PORT/DB"
            " (any database you can connect to; the bench creates and drops its own "
            f"'{name}' next to it).",
            file=sys.stderr,
        )
        return None
    own_db = parts.path.lstrip("/") or "postgres"
    if not refuse_test_databases and own_db == name:
        print(
            f"DATABASE_URL points at '{name}', the bench's throwaway database; "
            "point it at your own database instead.",
            file=sys.stderr,
        )
        return None
    if own_db == name or (refuse_test_databases and own_db.startswith("test_")):
        print(
            f"DATABASE_URL points at '{own_db}'; point it at your own database "
            "(the bench only uses it to reach the server).",
            file=sys.stderr,
        )
        return None
    return BenchDatabase(
        name=name,
        url=urlunsplit(parts._replace(path=f"/{name}")),
        server={
            "dbname": own_db,
            "user": parts.username or None,
            "password": parts.password or None,
            "host": parts.hostname or None,
            "port": parts.port or None,
        },
        force_drop=force_drop,
    )


def _admin(db: BenchDatabase, *statements: str) -> None:
    """Run statements on your own database, autocommit (CREATE/DROP DATABASE)."""
    import psycopg2

    conn = psycopg2.connect(**{k: v for k, v in db.server.items() if v is not None})
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.close()


def _drop_statement(db: BenchDatabase) -> str:
    force = " WITH (FORCE)" if db.force_drop else ""
    return f'DROP DATABASE IF EXISTS "{db.name}"{force}'


def recreate_database(db: BenchDatabase) -> None:
    _admin(db, _drop_statement(db), f'CREATE DATABASE "{db.name}"')


def drop_database(db: BenchDatabase) -> None:
    _admin(db, _drop_statement(db))


@contextmanager
def throwaway_database(db: BenchDatabase, *, keep: bool) -> Iterator[BenchDatabase]:
    """Create `db` afresh; at the end close Django's connections and drop it again
    (or, with keep, say it was kept)."""
    recreate_database(db)
    try:
        yield db
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if keep:
            print(f"kept database {db.name}")
        else:
            drop_database(db)


def setup_django(
    db: BenchDatabase, env: Mapping[str, str] | None = None, unset: Iterable[str] = ()
) -> None:
    """Point Django at `db` and set it up. The environment is set first (settings
    read it on import): DATABASE_URL, then `env`, then the keys in `unset` are
    removed; DJANGO_SETTINGS_MODULE defaults to locatr.settings. DEBUG is switched
    off afterwards, so no query is logged while we measure."""
    os.environ["DATABASE_URL"] = db.url
    os.environ.update(env or {})
    for key in unset:
        os.environ.pop(key, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False


def migrate() -> float:
    """Migrate the (set-up) database; the seconds it took."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    return time.perf_counter() - started
