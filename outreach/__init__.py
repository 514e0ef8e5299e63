"""Union Media Desk: a campaign manager for a union's media committee."""

__version__ = "0.19.0"
