"""Running the desk.

    worker   the worker process: passes over due work, a heartbeat, a clean stop
    jobs     the work each pass does, one job per feature, wired with this process's settings
    backup   snapshots taken while the app runs, and restores into an empty store
    status   the store at a glance, per campaign
    demo     the fictional demo campaign
"""
