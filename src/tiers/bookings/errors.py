from tiers.core.errors import DomainError


class BookingError(DomainError):
    """A booking rule refused the action; `code` names the rule (taken, too_long...)."""

    code = "booking"
