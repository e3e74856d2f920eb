"""Fixtures of the people tests: images to upload, a private Redis server, e-mail helpers."""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    # Messages are asserted in English; French is the site's default language.
    settings.LANGUAGE_CODE = "en"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def make_image() -> Callable[..., SimpleUploadedFile]:
    def make(
        name: str = "me.png",
        *,
        size: tuple[int, int] = (64, 64),
        fmt: str = "PNG",
        mode: str = "RGB",
        noise: bool = False,
        exif: Image.Exif | None = None,
    ) -> SimpleUploadedFile:
        if noise:  # incompressible: the file is as large as its pixels
            pixels = random.Random(7).randbytes(size[0] * size[1] * len(mode))
            image = Image.frombytes(mode, size, pixels)
        else:
            image = Image.new(mode, size, (200, 80, 40) if mode == "RGB" else (200, 80, 40, 120))
        out = io.BytesIO()
        kwargs = {"exif": exif} if exif is not None else {}
        image.save(out, fmt, **kwargs)
        content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}.get(fmt, "")
        return SimpleUploadedFile(name, out.getvalue(), content_type=content_type)

    return make


def link_in(message: mail.EmailMessage, path_prefix: str) -> str:
    """The path of the first link to `path_prefix` in an e-mail's body."""
    found = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", message.body)
    assert found, message.body
    return found.group(1)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A private Redis server on a free loopback port, for the rate limiter's tests."""
    binary = shutil.which("redis-server")
    if not binary:
        # Outside CI a laptop may lack Redis: say so; CI installs it and must run these tests.
        assert os.environ.get("CI", "").lower() != "true", "CI must have redis-server"
        pytest.skip("redis-server is not installed: the Redis rate-limit tests did not run")
    port = free_port()
    directory: Path = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
