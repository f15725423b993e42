"""The wheel holds every sub-package and data file: build it, install it, run the CLI elsewhere.

An editable install hides a package missing from ``[tool.setuptools] packages`` (it still
imports from the source tree), so only a real wheel proves the packaging.
"""

from __future__ import annotations

import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (found,) = out.glob("tierwise-*.whl")
    return found


def test_wheel_contains_every_package_and_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "tierwise/grammar/tierwise.lark",
        "tierwise/grammar/parser.py",
        "tierwise/engine/compiler.py",
        "tierwise/engine/calendars.py",
        "tierwise/engine/simulator.py",
        "tierwise/engine/schemas/scenario.schema.json",
        "tierwise/engine/schemas/result.schema.json",
        "tierwise/cli/main.py",
        "tierwise/testing/plugin.py",
    ):
        assert expected in names, f"{expected} missing from the wheel"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "tierwise = tierwise.cli.main:main" in text
    assert "[pytest11]" in text


def test_installed_wheel_runs_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(wheel)], check=True, capture_output=True, text=True)
    # Reuse this environment's dependencies through a plain path entry: a .pth line only
    # appends the folder, it does not run that folder's .pth files, so the editable
    # install's import hook stays out and tierwise can only come from the wheel.
    (site_dir,) = (env_dir / "lib").glob("python3*/site-packages")
    (site_dir / "deps.pth").write_text(site.getsitepackages()[0] + "\n")
    tierwise = env_dir / "bin" / "tierwise"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    helped = subprocess.run([str(tierwise), "--help"], cwd=outside, capture_output=True, text=True)
    assert helped.returncode == 0, helped.stderr
    assert "check" in helped.stdout
    checked = subprocess.run([str(tierwise), "check", str(ROOT / "plans")], cwd=outside,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The module must come from the wheel, not from the source tree.
    where = subprocess.run(
        [str(python), "-c", "import tierwise.engine.model as m; print(m.__file__)"],
        cwd=outside, capture_output=True, text=True, check=True,
    )
    assert str(env_dir) in where.stdout
