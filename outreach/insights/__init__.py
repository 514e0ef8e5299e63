"""Insights: what came of the work.

    metrics    follower and engagement snapshots (the worker's job) and their series
    analytics  growth, engagement, best times to post, weekly numbers
    digest     the committee's weekly digest, in HTML or Markdown
"""
