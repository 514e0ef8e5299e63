"""Bluesky and X: composing, approving, scheduling and publishing posts.

    accounts    connecting accounts, credentials into the vault, the publisher for each
    queue       the post queue: compose, submit, vote, schedule, cancel, retry, slots, cost
    publishing  due posts published exactly once, even across a crash (the worker's job)
    calendar    scheduled posts as a week or a month
    text        what a post may hold on each platform: counting, threads, facets
    images      images made safe and small enough for each platform
    publisher   the protocol every adapter offers; reader: what metrics read
    adapters/   Bluesky, X and link cards: the only code that talks to the platforms
"""
