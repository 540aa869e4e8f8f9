"""Which code produced a thing (a model, a linkage run): the short git commit, when there is one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from django.conf import settings


def code_version() -> str:
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments
            [git, "rev-parse", "--short", "HEAD"],
            cwd=Path(settings.BASE_DIR),
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
