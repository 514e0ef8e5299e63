"""Platform adapters: Bluesky, X and link cards, behind the Publisher protocol."""
