"""Releases: drafts from templates, committee approval, and the protected-names check."""
