"""The installable package: `pip wheel .` carries aigc_demo, its assets, rhyme data and licences, and a console script."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _build_wheel(tmp_path: Path) -> Path:
    # build from a copy, as a fresh clone would, so that build/ and *.egg-info never land in the worktree
    src = tmp_path / "src"
    shutil.copytree(ROOT / "aigc_demo", src / "aigc_demo", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy(ROOT / name, src / name)
    out = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
    )
    (wheel,) = out.glob("aigc_demo-*.whl")
    return wheel


def test_wheel_carries_package_assets_rhyme_data_and_entry_point(tmp_path):
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta_dir = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(zf.read(f"{meta_dir}/METADATA"))
        entry_points = zf.read(f"{meta_dir}/entry_points.txt").decode()
    sources = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "aigc_demo").rglob("*.py") if "__pycache__" not in p.parts
    }
    assert sources <= names, sorted(sources - names)
    data = [ROOT / "aigc_demo" / "assets", ROOT / "aigc_demo" / "tasks" / "poetry" / "rhyme_data"]
    files = {p.relative_to(ROOT).as_posix() for d in data for p in d.rglob("*") if p.is_file() and p.suffix != ".py"}
    assert "aigc_demo/assets/style.css" in files and "aigc_demo/tasks/poetry/rhyme_data/pingshui.LICENSE" in files
    assert files <= names, sorted(files - names)
    assert not {n for n in names if n.split("/")[0] in ("tests", "bench", "app.py")}  # aigc_demo only
    assert "aigc-demo = aigc_demo.__main__:main" in entry_points
    requires = metadata.get_all("Requires-Dist")
    assert "torch==2.13.0" in requires and any(r.startswith("httpx") for r in requires)


def test_spaces_preload_matches_the_cpu_defaults_and_the_loaders_patterns():
    """README front matter: what Spaces bakes into the image is what `download` fetches and the loader reads."""
    from aigc_demo.__main__ import _select
    from aigc_demo.loaders import allow_patterns

    front = (ROOT / "README.md").read_text(encoding="utf-8").split("---")[1]
    block = front.split("preload_from_hub:")[1].split("\n")[1:]
    lines = [line.strip()[2:] for line in block if line.startswith("  - ")]
    expected = [f"{s.repo_id} {','.join(allow_patterns(s))} {s.revision}" for s in _select([])]
    assert lines == expected
