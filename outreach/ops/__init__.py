"""Running the desk: the worker, backups, status at a glance and the demo data."""
