"""Run the whole test suite: on SQLite, and (under CI, or with TEST_POSTGRES=true) on PostgreSQL.

Browser tests run whenever Chromium is installed; under CI they must run (the suite fails if
Chromium is missing rather than skipping them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tiers")


def run(label: str, env_extra: dict[str, str], args: list[str]) -> int:
    env = {**os.environ, **env_extra}
    print(f"\n=== {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)  # noqa: S603


def main() -> int:
    args = sys.argv[1:]
    ci = os.environ.get("CI", "").lower() == "true"
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if ci and not (chromium and os.path.isfile(chromium)):
        print("CI: chromium is not installed, the browser tests cannot run", file=sys.stderr)
        return 1
    env = {"DATABASE_URL": "sqlite:///:memory:"}
    code = run("SQLite", env, ["-p", "no:cacheprovider", *args])
    if ci or os.environ.get("TEST_POSTGRES", "").lower() == "true":
        pg = {"DATABASE_URL": POSTGRES_URL}
        code = run("PostgreSQL", pg, ["-p", "no:cacheprovider", "-m", "not e2e", *args]) or code
    return code


if __name__ == "__main__":
    sys.exit(main())
