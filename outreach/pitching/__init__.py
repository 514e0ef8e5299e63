"""Pitching an approved release by e-mail.

    pitches  plan who gets it, compose each e-mail, send batches exactly once
    mailer   the SMTP adapter, the only code that talks to a mail server
"""
