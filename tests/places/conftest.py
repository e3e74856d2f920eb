import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """Messages of services and commands are asserted in the source language (English); the
    French catalogue is checked by tests/core/test_translations.py."""
    with translation.override("en"):
        yield
