"""The store: tables, engine and migrations."""

from outreach.store.engine import make_engine
from outreach.store.migrate import upgrade_to_head

__all__ = ["make_engine", "upgrade_to_head"]
