"""Union Media Desk: a campaign manager for a union's media committee."""
