"""Process-wide settings the package makes at import: one malloc arena (glibc), sleeping OpenMP threads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import ROOT

COUNT_ARENAS = """
import ctypes, sys, threading
if sys.argv[1] == "import":
    import aigc_demo  # noqa: F401
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
both = threading.Barrier(5)

def work():
    libc.malloc(64 * 1024)  # a first allocation attaches the thread to an arena
    both.wait()
    both.wait()

threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
both.wait()
libc.malloc_stats()  # one "Arena N:" block per arena, on stderr
both.wait()
for t in threads:
    t.join()
"""

glibc = pytest.mark.skipif(
    sys.platform != "linux" or not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"), reason="glibc only"
)


def arenas(mode: str, **env: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", COUNT_ARENAS, mode],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return sum(line.startswith("Arena ") for line in out.stderr.splitlines())


@glibc
def test_model_threads_share_one_malloc_arena():
    """Worker threads would each get an arena that returns memory after every run (a page fault per page next run)."""
    env = {"MALLOC_ARENA_MAX": ""}
    assert arenas("plain", **env) > 1  # glibc's default: an arena per thread (the check can tell)
    assert arenas("import", **env) == 1


@glibc
def test_an_explicit_malloc_arena_max_wins():
    assert arenas("import", MALLOC_ARENA_MAX="3") == 3


def omp_wait_policy(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    probe = "import os, aigc_demo; print(os.environ['OMP_WAIT_POLICY'])"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_openmp_threads_sleep_when_idle_unless_told_otherwise():
    assert omp_wait_policy() == "PASSIVE"
    assert omp_wait_policy(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"
