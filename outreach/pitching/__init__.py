"""Pitching releases by e-mail: plan and compose, batches sent exactly once, SMTP."""
