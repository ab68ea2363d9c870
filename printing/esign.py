"""Electronic extracts: the extract PDF signed (PAdES) with the issuing unit's certificate.

Keys live under settings.EXTRACT_KEYS_DIR (DATA_DIR/keys by default, never in
git): `unit-<id>.p12` per unit (PKCS#12 with the chain), and `ca.pem`, the
root a verifier trusts. A unit without its own key signs with the nearest
ancestor's (a commune with the district's, a district with the province's).
`signing_keys_ensure` makes a demo CA and unit certificates: for the demo only,
a real deployment installs the certificates the provider issued.

No timestamp server is contacted (tests and the demo never reach the network),
so the signatures are PAdES B-B; a TSA can be added with pyhanko's HTTPTimeStamper.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard, get_args

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from printing.rendering import issuing_authority, render_stamp
from registry.models import AdministrativeUnit

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import (
        CertificateIssuerPrivateKeyTypes,
        CertificateIssuerPublicKeyTypes,
    )

SIGNATURE_FIELD = "ChuKySo"
A4_WIDTH_PT = 595.28
# Centre of the signer's column (30 mm left margin + 40 % of the 165 mm text width + half of the rest).
SIGN_COLUMN_CENTRE_PT = (30 + 0.4 * 165 + 0.3 * 165) / 25.4 * 72
MARK_TEXT = "(Đã ký số)"


class SigningUnavailable(Exception):
    """No certificate covers the unit; the message says what to do."""


def keys_dir() -> Path:
    return Path(settings.EXTRACT_KEYS_DIR)


def _passphrase() -> bytes | None:
    value = settings.EXTRACT_KEY_PASSPHRASE
    return value.encode() if value else None


def unit_key_path(unit: AdministrativeUnit) -> Path:
    return keys_dir() / f"unit-{unit.pk}.p12"


def credentials_path_for(unit: AdministrativeUnit) -> Path | None:
    """The key file of the unit, or of its nearest ancestor that has one."""
    ids = [int(p) for p in unit.path.strip("/").split("/") if p]
    for uid in reversed(ids):
        path = keys_dir() / f"unit-{uid}.p12"
        if path.exists():
            return path
    return None


def trust_root_pem() -> bytes:
    return (keys_dir() / "ca.pem").read_bytes()


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool  # pyhanko's bottom line: intact, valid and trusted
    intact: bool
    valid: bool
    trusted: bool
    signer: str
    summary: str


def sign_pdf(
    pdf: bytes, *, unit: AdministrativeUnit, reason: str = "Trích lục hộ tịch (bản điện tử)"
) -> bytes:
    """Sign the PDF with the unit's certificate (PAdES B-B), stamped where “(Đã ký số)” is printed."""
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    path = credentials_path_for(unit)
    if path is None:
        raise SigningUnavailable(
            f"No signing certificate is installed for {unit.name} or a unit above it. "
            "Ask the administrator to install the unit's certificate (the demo makes one with seed_demo)."
        )
    signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=_passphrase())
    if signer is None:
        raise ImproperlyConfigured(f"Cannot open {path}: check EXTRACT_KEY_PASSPHRASE.")
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=issuing_authority(unit)[1],
        md_algorithm="sha256",
    )
    box = _stamp_box(pdf)
    with tempfile.TemporaryDirectory() as tmp:
        style = None
        if box:
            # The visible appearance is drawn by weasyprint with the shipped font (Vietnamese).
            signer_name = signer.signing_cert.subject.native.get("common_name", "")
            when = timezone.localtime()
            stamp = Path(tmp) / "stamp.pdf"
            stamp.write_bytes(
                render_stamp(
                    [f"Ký số bởi: {signer_name}", f"Thời gian: {when:%d/%m/%Y %H:%M:%S} (GMT{when:%z})"],
                    width_pt=box[2] - box[0],
                    height_pt=box[3] - box[1],
                )
            )
            style = StaticStampStyle.from_pdf_file(
                str(stamp),
                border_width=0,
                background_layout=layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MID,
                    y_align=layout.AxisAlignment.ALIGN_MID,
                    margins=layout.Margins.uniform(0),
                    inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
                ),
            )
        pdf_signer = signers.PdfSigner(
            meta,
            signer,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD, on_page=0, box=box) if box else None,
        )
        out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
        return out.getvalue()


def _stamp_box(pdf: bytes) -> tuple[int, int, int, int] | None:
    """A box in the signer's column, over the blank left for the signature, found by its printed mark."""
    from pypdf import PdfReader

    found: list[float] = []

    def visit(text, cm, tm, font_dict, font_size):
        if MARK_TEXT in text and not found:
            found.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    if not found:
        return None
    y = found[0]
    centre = SIGN_COLUMN_CENTRE_PT
    return (int(centre - 95), int(y - 43), int(centre + 95), int(y - 4))


def signature_check(pdf: bytes, *, trust_roots_pem: bytes | None = None) -> SignatureCheck:
    """Validate the PDF's signature: intact (signed bytes unchanged), valid (the signature itself),
    trusted (chains to the given root), and `ok` only when all three hold."""
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = []
    if trust_roots_pem:
        _type, _headers, der = asn1_pem.unarmor(trust_roots_pem)
        roots.append(asn1_x509.Certificate.load(der))
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if not reader.embedded_signatures:
        return SignatureCheck(False, False, False, False, "", "The PDF carries no signature.")
    sig = reader.embedded_signatures[0]
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=roots, allow_fetching=False))
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    return SignatureCheck(
        ok=bool(status.bottom_line),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        signer=signer,
        summary=status.summary(),
    )


# --- demo certificates ----------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _is_issuer_private_key(key: object) -> TypeGuard[CertificateIssuerPrivateKeyTypes]:
    """Can this private key sign certificates (not a DH, X25519/X448 or ML-KEM key)?"""
    from cryptography.hazmat.primitives.asymmetric import types

    return isinstance(key, get_args(types.CertificateIssuerPrivateKeyTypes))


def _is_issuer_public_key(key: object) -> TypeGuard[CertificateIssuerPublicKeyTypes]:
    from cryptography.hazmat.primitives.asymmetric import types

    return isinstance(key, get_args(types.CertificateIssuerPublicKeyTypes))


def signing_keys_ensure(*, units: list[AdministrativeUnit]) -> int:
    """Make a demo root CA (once) and a certificate for each unit that has none; return how many were made."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    directory = keys_dir()
    ca_cert_path, ca_key_path = directory / "ca.pem", directory / "ca-key.pem"
    now = dt.datetime.now(dt.UTC)
    if ca_cert_path.exists() and ca_key_path.exists():
        loaded_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        if not _is_issuer_private_key(loaded_key):
            raise ImproperlyConfigured(f"{ca_key_path}: this kind of key cannot sign certificates.")
        ca_key: CertificateIssuerPrivateKeyTypes = loaded_key
    else:
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hệ thống số hóa hộ tịch (DEMO)"),
                x509.NameAttribute(NameOID.COMMON_NAME, "CA hộ tịch thử nghiệm (DEMO)"),
            ]
        )
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(
            ca_key_path,
            ca_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        ca_cert_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))

    ca_public_key = ca_cert.public_key()
    if not _is_issuer_public_key(ca_public_key):
        raise ImproperlyConfigured(f"{ca_cert_path}: this kind of key cannot sign certificates.")
    passphrase = _passphrase()
    encryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    made = 0
    for unit in units:
        path = unit_key_path(unit)
        if path.exists():
            continue
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        common_name = f"Sở Tư pháp {unit.name}" if unit.level == "province" else f"UBND {unit.name}"
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hệ thống số hóa hộ tịch (DEMO)"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3 * 365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public_key), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(
            path,
            pkcs12.serialize_key_and_certificates(
                name=f"unit-{unit.pk}".encode(),
                key=key,
                cert=cert,
                cas=[ca_cert],
                encryption_algorithm=encryption,
            ),
        )
        made += 1
    return made
