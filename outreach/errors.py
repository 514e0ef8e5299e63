"""The exception tree. Domain code raises these; the CLI and pages show the message.

    OutreachError            root: anything the user can act on
    ├── ConfigError          a setting is missing or malformed
    ├── NotFound             a named thing (campaign, ...) does not exist
    ├── AlreadyExists        a unique name is taken
    ├── InvalidInput         a value a user typed is wrong
    ├── PermissionDenied     the acting user's role does not allow it
    ├── SignInFailed         wrong name or password, disabled or locked account
    ├── UnsafeURL            an outbound fetch refused by the URL guard
    ├── FetchFailed          a fetch got no usable answer (no connection, a timeout, ...)
    ├── VaultError           the vault key is missing or does not open a secret
    ├── BackupError          a backup could not be written or read, or a restore was refused
    └── PublishError         a platform did not take a post
        ├── RateLimited          try again at `retry_at`
        ├── TransientPublishError   network trouble or a 5xx: retry with backoff
        └── PermanentPublishError   refused for good (401, 400, content): the platform's words
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


class PermissionDenied(OutreachError):
    """The acting user's role does not allow this action."""


class SignInFailed(OutreachError):
    """A sign-in was refused; the message says why without revealing which part was wrong."""


class UnsafeURL(OutreachError):
    """An outbound URL was refused: the message names the address and the reason."""


class FetchFailed(OutreachError):
    """A fetch got no usable answer; the message says what happened, in words. `timeout` is
    "connect", "read" or "deadline" when it ran out of time, else None."""

    def __init__(self, message: str, *, timeout: str | None = None) -> None:
        super().__init__(message)
        self.timeout = timeout


class VaultError(OutreachError):
    """The vault key is missing, unreadable, or does not decrypt a stored secret."""


class BackupError(OutreachError):
    """A backup could not be written or read, or a restore was refused; the message says why."""


class PublishError(OutreachError):
    """A platform did not take a post; the message is the platform's own words."""


class RateLimited(PublishError):
    """The platform asked us to wait until `retry_at` (aware UTC)."""

    def __init__(self, message: str, retry_at):
        super().__init__(message)
        self.retry_at = retry_at


class TransientPublishError(PublishError):
    """A network error or a 5xx: the same request may succeed later."""


class PermanentPublishError(PublishError):
    """The platform refused the post for good (bad credentials, too long, rejected)."""


class ReadRefused(PublishError):
    """The platform will not give this read to this account (its access tier or cost):
    shown as such, never as a zero."""
