"""`python -m aigc_demo download` with no Hub: one sentence on how to run offline, no tracebacks, no retries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("offline", ["", "1"])
def test_download_without_hub_says_one_sentence(offline):
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # the discard port: nothing listens, whatever the network
    env["AIGC_HUB_CHECK_TIMEOUT_S"] = "2"
    if offline:
        env["HF_HUB_OFFLINE"] = offline
    done = subprocess.run(
        [sys.executable, "-m", "aigc_demo", "download", "gpt2"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Downloading" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    why = "HF_HUB_OFFLINE is set" if offline else "http://127.0.0.1:9 is unreachable"
    assert lines[0].startswith(f"Cannot download: {why}")
    assert "AIGC_MODELS=tiny" in lines[0] and "AIGC_MODELS=auto" in lines[0]
