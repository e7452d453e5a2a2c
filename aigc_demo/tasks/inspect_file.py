"""`python -m aigc_demo inspect FILE`: what a downloaded output says about itself, and whether its signature holds.

Reads a PNG's text chunks (the JSON recipe, the A1111 `parameters`, the `ai_generated` flag), its XMP digital source
type and its C2PA manifest, or a text download's front-matter header.

Exit codes: 0 = marked AI-generated (and, where signed, the signature verifies); 1 = no AI marker found;
2 = the file cannot be read; 3 = a C2PA manifest is present but does not verify (the file changed after signing).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aigc_demo.tasks.common import labels
from aigc_demo.tasks.image import metadata as image_metadata
from aigc_demo.tasks.image import provenance

EXIT_MARKED, EXIT_UNMARKED, EXIT_UNREADABLE, EXIT_TAMPERED = 0, 1, 2, 3
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TEXT_BYTES = 5_000_000


@dataclass
class Inspection:
    path: str
    kind: str  # "png", "text" or "unknown"
    ai_generated: bool = False
    markers: list[str] = field(default_factory=list)  # where the AI marker was found
    model: str = ""
    label: str = ""  # a text download's visible label, e.g. "✂️ Extracted by an algorithm" for an extract
    seed: int | None = None
    parameters: dict = field(default_factory=dict)
    c2pa: dict | None = None  # None = no manifest
    problems: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.kind == "unknown":
            return EXIT_UNREADABLE
        if self.c2pa is not None and not self.c2pa["valid"]:
            return EXIT_TAMPERED
        return EXIT_MARKED if self.ai_generated else EXIT_UNMARKED


def _inspect_png(path: Path, data: bytes, result: Inspection) -> None:
    from PIL import Image

    with Image.open(path) as image:
        info = dict(image.info)
    recipe = image_metadata.read_recipe(path) or {}
    if info.get(image_metadata.AI_GENERATED_KEY) == "true":
        result.markers.append("PNG text chunk ai_generated")
    if image_metadata.DIGITAL_SOURCE_TYPE in str(info.get("XML:com.adobe.xmp", "")):
        result.markers.append("XMP IPTC digital source type (trainedAlgorithmicMedia)")
    report = provenance.read_manifest(data)
    if report.present:
        result.c2pa = {
            "valid": report.valid,
            "state": report.state,
            "signer": report.signer,
            "trusted_signer": report.state == "Trusted",
            "errors": list(report.errors),
        }
        if report.ai_generated:
            result.markers.append("C2PA c2pa.created action (trainedAlgorithmicMedia)")
        recipe = recipe or (report.recipe or {})
    result.ai_generated = bool(result.markers)
    result.model = str(recipe.get("model", ""))
    result.seed = recipe.get("seed")
    result.parameters = {k: v for k, v in recipe.items() if k not in ("model", "seed")}


def inspect_file(path: str | Path) -> Inspection:
    """Everything the file says about where it came from."""
    path = Path(path)
    result = Inspection(path=str(path), kind="unknown")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TEXT_BYTES + 1) if path.stat().st_size <= 200_000_000 else b""
    except OSError as exc:
        result.problems.append(f"cannot read the file: {exc.strerror or exc}")
        return result
    if data.startswith(PNG_SIGNATURE):
        result.kind = "png"
        if len(data) > MAX_TEXT_BYTES:
            data = path.read_bytes()
        try:
            _inspect_png(path, data, result)
        except Exception as exc:  # a damaged PNG is a finding, not a crash
            result.kind = "unknown"
            result.problems.append(f"not a readable PNG: {type(exc).__name__}")
        return result
    try:
        parsed = labels.read_text_label(data[:MAX_TEXT_BYTES].decode("utf-8"))
    except UnicodeDecodeError:
        parsed = None
    if parsed is None:
        result.problems.append("neither a PNG nor a text download with an aigc-demo header")
        return result
    header, _ = parsed
    result.kind = "text"
    result.ai_generated = header.get("ai_generated") is True
    if result.ai_generated:
        result.markers.append("text header ai_generated: true")
    result.model = str(header.get("model", ""))
    result.label = str(header.get("label", ""))
    result.seed = header.get("seed")
    result.parameters = header.get("parameters") or {}
    return result


def render(result: Inspection) -> str:
    """The human-readable report."""
    lines = [f"{result.path}: {result.kind}"]
    if result.kind == "unknown":
        return "\n".join(lines + [f"  ✗ {p}" for p in result.problems])
    lines.append(
        "  AI-generated: " + ("yes (" + "; ".join(result.markers) + ")" if result.ai_generated else "no marker")
    )
    if result.label:
        lines.append(f"  label: {result.label}")
    if result.model:
        lines.append(f"  model: {result.model}")
    if result.seed is not None:
        lines.append(f"  seed: {result.seed}")
    if result.parameters:
        lines.append("  parameters: " + json.dumps(result.parameters, ensure_ascii=False, sort_keys=True))
    if result.kind == "png":
        if result.c2pa is None:
            lines.append("  C2PA: no manifest")
        elif result.c2pa["valid"]:
            who = "a trusted signer" if result.c2pa["trusted_signer"] else "an unverified signer"
            lines.append(
                f"  C2PA: signature verifies (the file is unchanged since signing), by {who}: {result.c2pa['signer']}"
            )
        else:
            lines.append("  C2PA: ✗ does NOT verify: the file changed after signing")
            lines += [f"    {e}" for e in result.c2pa["errors"]]
    return "\n".join(lines)


def as_json(result: Inspection) -> str:
    return json.dumps(asdict(result) | {"exit_code": result.exit_code}, ensure_ascii=False, indent=2)
