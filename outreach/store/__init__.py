"""The store: tables, engine and migrations."""

from sqlalchemy.engine import Engine

from outreach.store.engine import make_engine
from outreach.store.migrate import upgrade_to_head


def open_store(database_url: str) -> Engine:
    """The engine for `database_url`, upgraded to the newest revision."""
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    return engine


__all__ = ["make_engine", "open_store", "upgrade_to_head"]
