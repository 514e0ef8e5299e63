"""Coverage: feeds, polite polling, parsing, queries, story keys, press hits and reports."""
