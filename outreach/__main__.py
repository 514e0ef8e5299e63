"""Entry point for `python -m outreach`."""

import sys

from outreach.cli import main

sys.exit(main())
