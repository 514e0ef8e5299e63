"""Who may act: local users, sign-in sessions, the credential vault and the audit log."""
