"""Where the real third-party helpdesk logs are, if anywhere (they are not in the repo).

CI clones the repository with ``shared/`` beside it; a developer's checkout has it at
``/work/shared``. ``TIERWISE_REAL_DATA`` overrides both. Tests that need the logs skip
when none of these exists.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def real_data_dir() -> Path:
    candidates = [
        os.environ.get("TIERWISE_REAL_DATA"),
        str(ROOT.parent / "shared" / "data" / "real"),
        "/work/shared/data/real",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path(candidates[1] or "")


REAL_DATA = real_data_dir()
