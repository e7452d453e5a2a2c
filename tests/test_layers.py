"""The seams between the floors: base modules, tasks, tabs. Each arrow points down; the UI starts without torch."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "aigc_demo"
TASKS = PACKAGE / "tasks"
TASK_PACKAGES = ("text", "poetry", "news", "image")


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at its top or inside a function, as dotted names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _sources(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


BASE = [p for p in PACKAGE.glob("*.py") if p.name not in ("__main__.py",)]  # what tasks and tabs stand on


def test_the_floors_are_where_the_tests_look():
    assert {p.name for p in BASE} >= {"catalog.py", "loaders.py", "manager.py", "twins.py", "settings.py"}
    assert {p.parent.name for p in _sources(TASKS)} >= {*TASK_PACKAGES, "common", "tasks"}
    for package in TASK_PACKAGES:  # each task's entry module is named like its tab
        tabs = {p.stem.removesuffix("_tab") for p in (PACKAGE / "ui").glob("*_tab.py")}
        entries = {p.stem for p in (TASKS / package).glob("*.py")}
        assert tabs & entries, package


@pytest.mark.parametrize("path", BASE, ids=lambda p: p.name)
def test_base_modules_import_no_task_and_no_tab(path):
    upward = {name for name in _imports(path) if name.startswith(("aigc_demo.tasks", "aigc_demo.ui"))}
    assert not upward, f"{path.name} imports {sorted(upward)}"


@pytest.mark.parametrize("path", _sources(TASKS), ids=lambda p: str(p.relative_to(TASKS)))
def test_task_modules_import_no_gradio_and_no_tab(path):
    names = _imports(path)
    assert not {n for n in names if n == "gradio" or n.startswith("gradio.")}, path
    assert not {n for n in names if n.startswith("aigc_demo.ui")}, path


@pytest.mark.parametrize("path", _sources(TASKS / "common"), ids=lambda p: p.name)
def test_common_task_code_imports_no_task_package(path):
    across = {n for n in _imports(path) if n.startswith(tuple(f"aigc_demo.tasks.{p}" for p in TASK_PACKAGES))}
    assert not across, f"{path.name} imports {sorted(across)}"


@pytest.mark.parametrize("package", TASK_PACKAGES)
def test_task_packages_import_only_common_code_and_themselves(package):
    others = tuple(f"aigc_demo.tasks.{p}" for p in TASK_PACKAGES if p != package)
    for path in _sources(TASKS / package):
        across = {n for n in _imports(path) if n.startswith(others)}
        assert not across, f"{path.relative_to(TASKS)} imports {sorted(across)}"


def test_importing_the_ui_and_building_the_app_loads_no_model_library():
    """Start-up stays fast: torch, transformers and diffusers load with the first request that needs them."""
    code = (
        "import json, sys\n"
        "import aigc_demo.ui\n"
        "from aigc_demo.manager import ModelManager\n"
        "aigc_demo.ui.build_demo(ModelManager(mode='tiny', device='cpu'))\n"
        "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'diffusers') if m in sys.modules)))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "AIGC_MODELS": "tiny"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


MAX_FUNCTION_LINES = 100


def test_no_function_is_longer_than_a_screenful_or_two():
    """A function a newcomer can read at once: none in aigc_demo/ over MAX_FUNCTION_LINES lines (nested ones count
    inside the function that holds them)."""
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in _sources(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


@pytest.mark.parametrize(
    "path", [p for p in _sources(PACKAGE / "ui") if p.name != "handlers.py"], ids=lambda p: p.name
)
def test_tab_handlers_are_bound_so_that_gradio_passes_the_request(path):
    """functools.partial hides a handler's `gr.Request` from gradio (no language, no session for Stop):
    ui.handlers.bound is the one way to bind a handler's first arguments."""
    assert "functools.partial" not in path.read_text(encoding="utf-8")
