"""Coverage: the stories about a campaign, found in feeds or pasted by hand, and reports.

    feeds        a campaign's feeds: add one or many, poll them politely (the worker's job)
    opml         feed lists in and out of feed readers
    fetch        one guarded conditional GET and the bounded pool the poller uses
    parse        a feed body as plain-text FeedItems (items)
    query        the coverage query language: which stories count, and why
    story_keys   one story under many links: unwrapped, tracking removed, one key
    hits         press hits, write side: matching items, deduplicating, storing
    hit_lists    press hits, read side: the Coverage page's lists, counts, charts, CSV
    attribution  who a story is by and where it ran
    article_page a story pasted by hand, read from its page
    clip_report  the clip report for a date range
"""
