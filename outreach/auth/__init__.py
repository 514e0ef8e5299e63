"""Who may act: local users, sign-in sessions, the credential vault and the audit log.

    users      accounts, scrypt passwords, roles, sign-in; `actor_named` for `--as NAME`
    throttle   failed sign-ins counted per name and per address, with growing waits
    sessions   server-side sign-in sessions behind the dashboard's cookie
    vault      credentials encrypted at rest, with the key kept outside the store
    audit      who changed what and when, written in the same transaction as the change
    sso        whether single sign-on's identity provider address may be used
"""
