"""Tiers: the free platform that runs tiers-lieux and their networks."""

__version__ = "0.1.0"
