"""The exception tree. Domain code raises these; the CLI and pages show the message.

    OutreachError            root: anything the user can act on
    ├── ConfigError          a setting is missing or malformed
    ├── NotFound             a named thing (campaign, ...) does not exist
    ├── AlreadyExists        a unique name is taken
    └── InvalidInput         a value a user typed is wrong
"""


class OutreachError(Exception):
    """Root of every error whose message is meant for the user."""


class ConfigError(OutreachError):
    """A setting is missing or malformed."""


class NotFound(OutreachError):
    """A thing looked up by name or id does not exist."""


class AlreadyExists(OutreachError):
    """A thing with that unique name already exists."""


class InvalidInput(OutreachError):
    """A value given by the user is not acceptable; the message says why."""
