"""Project-level promises: the README documents every setting, the CLI explains itself, requirements stay pinned."""

from __future__ import annotations

import re
import subprocess
import sys

from .conftest import ROOT


def test_readme_documents_every_setting_and_nothing_else():
    in_code = set(re.findall(r"AIGC_[A-Z_]+", (ROOT / "aigc_demo" / "settings.py").read_text()))
    readme = (ROOT / "README.md").read_text()
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| `AIGC_"))
    assert in_code == set(re.findall(r"AIGC_[A-Z_]+", table))


def test_readme_front_matter_is_a_spaces_config():
    front = (ROOT / "README.md").read_text().split("---")[1]
    assert 'python_version: "3.12"' in front and "sdk: gradio" in front and "app_file: app.py" in front


def test_torch_is_pinned_exactly():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in lines


def test_cli_help_explains_download_and_twins():
    out = subprocess.run(
        [sys.executable, "-m", "aigc_demo", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "download" in out and "twins" in out
    out = subprocess.run(
        [sys.executable, "-m", "aigc_demo", "download", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "qwen2.5-0.5b-instruct" in out and "text-to-image" in out


def test_cli_twins_builds_named_models(tmp_path):
    env = {"AIGC_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "aigc_demo", "twins", "gpt2-chinese-poem"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "gpt2-chinese-poem" in out and (tmp_path / "twins").is_dir()


def test_cli_download_offline_fails_with_a_message():
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": "/tmp/aigc-no-home"}
    proc = subprocess.run(
        [sys.executable, "-m", "aigc_demo", "download", "nope"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode != 0 and "Unknown model or task 'nope'" in proc.stderr


def test_trafilatura_imports_with_its_html_cleaner():
    """lxml 6.1 no longer brings lxml_html_clean, which trafilatura needs: requirements.txt must name it."""
    import trafilatura  # noqa: F401 - the import itself is the check

    assert any(line.startswith("lxml_html_clean") for line in (ROOT / "requirements.txt").read_text().splitlines())
