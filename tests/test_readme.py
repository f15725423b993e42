"""The README's two commands are the project's contract: keep them true and in CI."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)[:2]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, test_command = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"test_command='{test_command}'" in ci
    assert 'bash -c "$test_command"' in ci


def test_main_job_names_files_that_exist() -> None:
    main_job, _ = readme_commands()
    words = shlex.split(main_job)
    paths = [w for w in words if w.startswith("plans/")]
    assert paths, "the main job should run on the example plans"
    for path in paths:
        assert (ROOT / path).exists(), path
