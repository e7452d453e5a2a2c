"""Signed provenance for generated images: a C2PA manifest that says "made by a trained model", with the recipe.

The manifest is signed with the operator's key and certificate (AIGC_C2PA_CERT, AIGC_C2PA_KEY) or, when neither is
set, with a self-signed pair made once in the cache: such a signature proves the file is unchanged since signing,
not who signed it, and the app says so ("unverified signer"). Signing and reading work offline (c2pa-python).
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from aigc_demo import settings
from aigc_demo.errors import UserError
from aigc_demo.tasks.image.metadata import DIGITAL_SOURCE_TYPE, SOFTWARE

log = logging.getLogger(__name__)

RECIPE_ASSERTION = "org.aigc-demo.recipe"
LOCAL_ORGANIZATION = "aigc-demo (local self-signed, unverified)"
_lock = threading.Lock()
_signer_cache: dict[tuple[str, str], tuple[object, bool]] = {}


@dataclass(frozen=True)
class Credentials:
    chain_pem: bytes  # signer certificate first, then its issuers
    key_pem: bytes
    operator: bool  # True = configured by the operator; False = the local self-signed pair


@dataclass(frozen=True)
class ManifestReport:
    """What a file's C2PA manifest says, as `inspect` and the tests read it."""

    present: bool
    valid: bool = False  # the signature and the hashes check out: the file is as it was signed (signer may be unknown)
    state: str = ""  # c2pa's validation state: Valid, Trusted, Invalid
    ai_generated: bool = False
    signer: str = ""
    recipe: dict | None = None
    errors: tuple[str, ...] = ()


def _local_credentials(folder: Path) -> Credentials:
    """A self-signed CA and an ES256 signer made once under `folder` (private key readable by the owner only)."""
    chain_path, key_path = folder / "chain.pem", folder / "signer.key"
    if chain_path.exists() and key_path.exists():
        return Credentials(chain_path.read_bytes(), key_path.read_bytes(), operator=False)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common_name: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, LOCAL_ORGANIZATION),
            ]
        )

    def usage(**on) -> x509.KeyUsage:
        flags = dict.fromkeys(
            (
                "digital_signature content_commitment key_encipherment data_encipherment key_agreement "
                "key_cert_sign crl_sign encipher_only decipher_only"
            ).split(),
            False,
        )
        return x509.KeyUsage(**(flags | on))

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def certificate(subject, issuer, public_key, *extensions):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(ca_key, hashes.SHA256())

    ca = certificate(
        name("aigc-demo local CA"),
        name("aigc-demo local CA"),
        ca_key.public_key(),
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (usage(key_cert_sign=True, crl_sign=True), True),
        (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
    )
    signer = certificate(
        name("aigc-demo local signer"),
        ca.subject,
        key.public_key(),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (usage(digital_signature=True), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
    )
    pem = serialization.Encoding.PEM
    chain = signer.public_bytes(pem) + ca.public_bytes(pem)
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    folder.mkdir(parents=True, exist_ok=True)
    for path, data, mode in ((key_path, key_pem, 0o600), (chain_path, chain, 0o644)):
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)  # atomic: two first signings never leave half a key
    log.info(
        "C2PA: made a local self-signed signing certificate in %s (set AIGC_C2PA_CERT/KEY to sign as you)", folder
    )
    return Credentials(chain, key_pem, operator=False)


def credentials() -> Credentials:
    """The operator's pair when both settings name files, else the local self-signed one."""
    if settings.C2PA_CERT or settings.C2PA_KEY:
        if not (settings.C2PA_CERT and settings.C2PA_KEY):
            raise UserError(
                "Set both AIGC_C2PA_CERT and AIGC_C2PA_KEY to sign images with your certificate, or neither.",
                "请同时设置 AIGC_C2PA_CERT 与 AIGC_C2PA_KEY 以用您的证书签名图片，或两者都不设置。",
            )
        return Credentials(Path(settings.C2PA_CERT).read_bytes(), Path(settings.C2PA_KEY).read_bytes(), operator=True)
    return _local_credentials(settings.CACHE_DIR / "c2pa")


def _signer() -> tuple[object, bool]:
    import c2pa

    key = (settings.C2PA_CERT, settings.C2PA_KEY)
    with _lock:
        if key not in _signer_cache:
            creds = credentials()
            info = c2pa.C2paSignerInfo(alg=b"es256", sign_cert=creds.chain_pem, private_key=creds.key_pem, ta_url=None)
            _signer_cache[key] = (c2pa.Signer.from_info(info), creds.operator)
        return _signer_cache[key]


def manifest(recipe: dict, title: str) -> dict:
    """The manifest: a `c2pa.created` action by a trained model (IPTC digital source type) and the full recipe."""
    parameters = {k: recipe[k] for k in ("model", "seed", "num_inference_steps", "guidance_scale") if k in recipe}
    return {
        "claim_generator_info": [{"name": SOFTWARE}],
        "title": title,
        "format": "image/png",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": DIGITAL_SOURCE_TYPE,
                            "softwareAgent": {"name": SOFTWARE},
                            "parameters": parameters,
                        }
                    ]
                },
            },
            {"label": RECIPE_ASSERTION, "data": recipe},
        ],
    }


def sign_png(png: bytes, recipe: dict, title: str = "image.png") -> tuple[bytes, bool]:
    """(the PNG with an embedded signed manifest, whether the operator's certificate signed it)."""
    import c2pa

    signer, operator = _signer()
    out = io.BytesIO()
    with c2pa.Builder(json.dumps(manifest(recipe, title))) as builder:
        builder.sign(signer, "image/png", io.BytesIO(png), out)
    return out.getvalue(), operator


def read_manifest(data: bytes, mime_type: str = "image/png") -> ManifestReport:
    """The active manifest of `data` and whether it verifies; `present=False` when there is none."""
    import c2pa

    try:
        reader = c2pa.Reader(mime_type, io.BytesIO(data))
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "not found" in str(exc).lower():
            return ManifestReport(present=False)
        return ManifestReport(present=True, state="Invalid", errors=(str(exc)[:200],))
    with reader:
        active = reader.get_active_manifest() or {}
        state = reader.get_validation_state() or ""
        results = reader.get_validation_results() or {}
    failures = tuple(
        f"{item.get('code')}: {item.get('explanation', '')}"
        for item in (results.get("activeManifest") or {}).get("failure", [])
    )
    ai_generated = recipe = None
    for assertion in active.get("assertions", []):
        if assertion.get("label", "").startswith("c2pa.actions"):
            actions = assertion.get("data", {}).get("actions", [])
            ai_generated = any(a.get("digitalSourceType") == DIGITAL_SOURCE_TYPE for a in actions)
        elif assertion.get("label") == RECIPE_ASSERTION:
            recipe = assertion.get("data")
    signature = active.get("signature_info", {})
    return ManifestReport(
        present=True,
        # A self-signed certificate is reported untrusted; that says who signed, not whether the file changed.
        valid=state in ("Valid", "Trusted") and all(f.startswith("signingCredential.untrusted") for f in failures),
        state=state,
        ai_generated=bool(ai_generated),
        signer=" / ".join(v for v in (signature.get("common_name"), signature.get("issuer")) if v),
        recipe=recipe,
        errors=failures,
    )


def png_bytes(image) -> bytes:
    """`image` as PNG with its `info` text chunks (the recipe, the AI marker; XMP as iTXt), as gradio would save it."""
    from PIL.PngImagePlugin import PngInfo, iTXt

    chunks = PngInfo()
    for key, value in image.info.items():
        if isinstance(value, iTXt):
            chunks.add_itxt(key, value, value.lang, value.tkey)
        elif isinstance(value, str):
            chunks.add_text(key, value)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=chunks)
    return out.getvalue()


def signed_png_file(image, directory: Path, name: str) -> Path:
    """Write `image` (annotated by image_metadata) to `directory/name` as a PNG with a signed C2PA manifest.

    The recipe in the manifest is the image's own JSON recipe; an image without one is written unsigned.
    """
    from aigc_demo.tasks.image.metadata import read_recipe

    data = png_bytes(image)
    recipe = read_recipe(image)
    if recipe is not None and not recipe.get("hidden_by_safe_mode"):
        try:
            data, _ = sign_png(data, recipe, name)
        except Exception:  # provenance must never cost the visitor the image: the text chunks still label it
            log.exception("C2PA signing failed; the image keeps its PNG text chunks and XMP only")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    return path
