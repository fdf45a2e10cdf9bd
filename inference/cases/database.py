"""Opening the case log's database: the URL, private SQLite files, and the schema's version.

The schema is created and upgraded by the project itself (Alembic, run from
code on the same connection). A database written by a newer solewear is
refused before anything touches it: an older program must not "repair" a
schema it does not know.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from inference.settings import CaseLog as CaseLogSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Set at the edge (app start-up, CLI) to point the log at another database without editing the config.
DATABASE_ENV = "SOLEWEAR_CASE_DB"


class CaseLogError(RuntimeError):
    """Something about the case log that a clinician can act on, said in words."""


def database_url(database: str) -> str:
    """A SQLAlchemy URL for the configured database: a path (SQLite) or a URL as given."""
    if "://" in database:
        return database
    return f"sqlite:///{Path(database).expanduser().resolve()}"


def pointed_at(settings: CaseLogSettings, database: str | None) -> CaseLogSettings:
    """The configured log, or the same settings pointed at another database (a --database option, $SOLEWEAR_CASE_DB)."""
    if not database:
        return settings
    return settings.model_copy(update={"database": database, "photos": None if "://" not in database else settings.photos})


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and for in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def photo_folder(settings: CaseLogSettings) -> Path:
    """Where photos are kept: as configured, or beside a SQLite file."""
    if settings.photos:
        return Path(settings.photos).expanduser().resolve()
    db_file = sqlite_file(database_url(settings.database))
    if db_file is None:
        raise CaseLogError("case_log.photos must name a folder for the photos when the database is not a SQLite file")
    return db_file.with_name(db_file.name + "-photos")


def private_dir(path: Path) -> None:
    """Create a folder (and its parents) that only the owner can read."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _create_private_file(path: Path) -> None:
    """Create the SQLite file owner-only before SQLite does (SQLite would follow the umask)."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


def make_engine(url: str) -> Engine:
    """An engine for the log. SQLite: owner-only file, foreign keys on, writers queue instead of failing."""
    db_file = sqlite_file(url)
    if db_file is None:
        return create_engine(url, pool_pre_ping=True)
    _create_private_file(db_file)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None   # SQLAlchemy emits BEGIN itself (below)
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Take the write lock at the start: two app sessions saving at once then wait for each
        # other (busy timeout) instead of one failing when its read turns into a write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _alembic(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def schema_status(engine: Engine) -> tuple[str | None, str]:
    """(the database's schema revision or None, the newest revision this solewear knows)."""
    script = ScriptDirectory.from_config(_alembic(None))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise CaseLogError(f"this case log was written by a newer solewear (schema {current!r}); update solewear "
                           "to open it. The database was left untouched.")
    return current, script.get_current_head()


def upgrade(engine: Engine) -> str:
    """Create or upgrade the schema to this solewear's newest; returns that revision."""
    current, head = schema_status(engine)
    if current is None and inspect(engine).get_table_names():
        raise CaseLogError("this database already holds tables that are not a solewear case log; "
                           "give the case log a database of its own")
    if current != head:
        with engine.begin() as connection:
            command.upgrade(_alembic(connection), "head")
    return head


def ready(engine: Engine) -> None:
    """Make a new database usable; refuse one from another schema version with what to do."""
    current, head = schema_status(engine)
    if current is None:
        upgrade(engine)
    elif current != head:
        raise CaseLogError(f"the case log's schema is older ({current}) than this solewear's ({head}); "
                           "back the database up, then run `solewear cases upgrade`")
