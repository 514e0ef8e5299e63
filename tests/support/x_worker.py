"""A publishing worker aimed at the local X server, for crash tests (the real worker only
talks to api.twitter.com):

    python tests/support/x_worker.py DATABASE_URL DATA_DIR X_URL

It says "started", then publishes what is due once, as a worker's pass does.
"""

from __future__ import annotations

import sys

from outreach.auth import vault
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.net import URLGuard
from outreach.social import accounts, publishing
from outreach.store import open_store


def main(database_url: str, data_dir: str, x_url: str) -> None:
    """One publishing pass of a worker named "doomed" against the X server at `x_url`."""
    db = open_store(database_url)
    settings = Settings.from_env({"OUTREACH_DATA_DIR": data_dir}, env_file=None)
    factory = accounts.publisher_for(db, vault.Vault.open(settings), now=utcnow(),
                                     x_base_url=x_url, guard=URLGuard())
    print("started", flush=True)
    print(publishing.publish_due(db, "doomed", factory, clock=utcnow), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
