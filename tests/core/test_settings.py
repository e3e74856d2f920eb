"""Production settings: `check --deploy` is clean when the documented variables are set."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-secret-for-the-deploy-check-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "tiers.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://tiers.example.org",
    "SITE_URL": "https://tiers.example.org",
}


def run_tiers(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "-m", "tiers.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    result = run_tiers("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = run_tiers("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("value", ["yes", "1", "off"])
def test_booleans_are_strict(value):
    result = run_tiers("check", env={"DEBUG": value})
    assert result.returncode != 0
    assert "DEBUG must be 'true' or 'false'" in result.stderr


def test_secret_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-" + "x" * 50 + "\n")
    env = {**PRODUCTION_ENV, "SECRET_KEY": "", "SECRET_KEY_FILE": str(secret)}
    result = run_tiers(
        "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "from-a-file-" + "x" * 50


def test_a_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nSITE_NAME='Réseau Test'\nTIME_ZONE=Europe/Brussels\nDATABASE_URL=\n"
    )
    script = "from django.conf import settings; print(settings.SITE_NAME, settings.TIME_ZONE)"
    result = run_tiers(
        "shell", "-c", script, env={"TIERS_ENV_FILE": str(env_file), "TIME_ZONE": "Europe/Paris"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "Réseau Test Europe/Paris"


def test_static_files_collect_in_production(tmp_path):
    """With DEBUG off, static files are hashed and compressed: every reference must resolve."""
    env = {**PRODUCTION_ENV, "TIERS_VAR_DIR": str(tmp_path)}
    result = run_tiers("collectstatic", "--no-input", "-v", "0", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    assert list((tmp_path / "static" / "vendor" / "leaflet").glob("leaflet.*.js.gz"))
