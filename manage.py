#!/usr/bin/env python
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

if __name__ == "__main__":
    from tiers.cli import main

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiers.settings")
    main(sys.argv)
