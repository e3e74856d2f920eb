"""Sending an e-mail rendered from templates, in its recipient's language."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

Attachment = tuple[str, bytes, str]


def send_templated(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    attachments: list[Attachment] | None = None,
) -> bool:
    """Render `<template>_subject.txt` and `<template>_body.txt` in `language` and send.

    Called on commit or from a background job: a failing mail server is logged (without the
    address) and does not turn the page into an error. Returns whether it was sent."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    message = EmailMessage(subject, body, None, [to])
    for name, content, mimetype in attachments or []:
        message.attach(name, content, mimetype)
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        logger.exception("the %s e-mail could not be sent", template)
        return False
    return True
