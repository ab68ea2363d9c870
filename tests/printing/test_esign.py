"""Electronic extracts: PAdES-signed with the issuing unit's certificate; one changed byte breaks it."""

import pytest

from printing.esign import sign_pdf, signature_check, trust_root_pem
from printing.services import PrintRefused, extract_issue
from registry.models import EventType
from tests.printing.data import ISSUE, extract_input
from tests.printing.test_rendering import pdf_text


def one_byte_changed(pdf: bytes) -> bytes:
    """Flip one byte inside the signed content (the first page's content stream), not the signature."""
    start = pdf.index(b"stream\n") + len(b"stream\n") + 20
    return pdf[:start] + bytes([pdf[start] ^ 0x01]) + pdf[start + 1 :]


def test_an_electronic_extract_is_signed_by_the_unit_and_validates(world, unit_keys):
    # given the unit's certificate (as seed_demo installs it) and an approved birth
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    # when the counter issues an electronic copy
    issued = extract_issue(record=record, actor=world.counter, electronic=True, **ISSUE)
    pdf = issued.file.read()
    # then pyhanko finds a PAdES signature that is intact, valid and chains to the trusted root
    check = signature_check(pdf, trust_roots_pem=trust_root_pem())
    assert (check.ok, check.intact, check.valid, check.trusted) == (True, True, True, True), check.summary
    assert "UBND Xã An" in check.signer
    assert b"/ETSI.CAdES.detached" in pdf
    # and the paper says it was signed digitally, with the same fields as the paper copy
    text = pdf_text(pdf)
    assert "(Đã ký số)" in text and "Nguyễn Thị Thuỷ Tiên" in text


def test_one_changed_byte_breaks_the_signature(world, unit_keys):
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    pdf = extract_issue(record=record, actor=world.counter, electronic=True, **ISSUE).file.read()
    check = signature_check(one_byte_changed(pdf), trust_roots_pem=trust_root_pem())
    assert not check.intact
    assert not check.ok and check.summary == "INVALID"


def test_a_signature_from_an_unknown_root_is_not_trusted(world, unit_keys, tmp_path, settings):
    from printing.rendering import IssueFacts, render_extract

    record = world.record("approved", data=extract_input(EventType.BIRTH))
    pdf = render_extract(
        record=record,
        issue=IssueFacts(
            "1/2025/TLKS-BS", record.created_at.date(), "Ủ", "X", "A", "T", "N", electronic=True
        ),
    )
    signed = sign_pdf(pdf, unit=world.commune_a)
    assert signature_check(signed, trust_roots_pem=None).trusted is False
    assert signature_check(signed, trust_roots_pem=None).intact is True


def test_a_unit_without_a_certificate_cannot_issue_electronic_copies(world):
    record = world.record("approved")
    with pytest.raises(PrintRefused, match="No signing certificate"):
        extract_issue(record=record, actor=world.counter, electronic=True, **ISSUE)
