from tiers.core.errors import DomainError


class EventError(DomainError):
    """An event rule refused the action; `code` names the rule (full, closed, duplicate...)."""

    code = "event"
