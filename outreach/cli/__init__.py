"""`python -m outreach ...`: the command line, one module per command group."""

from outreach.cli.main import main

__all__ = ["main"]
