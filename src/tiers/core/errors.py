"""Domain errors: raised by services, turned into form errors, messages or problem details."""

from django.utils.functional import Promise


class DomainError(Exception):
    """A rule of the domain refused the action. `message` is translatable and shown as is;
    `code` is stable and machine-readable (used in API problem types)."""

    status = 409
    code = "conflict"

    def __init__(self, message: str | Promise, *, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
