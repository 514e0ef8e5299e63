"""Insights: follower and engagement snapshots, analytics, and the weekly digest."""
