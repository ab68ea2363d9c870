"""Finding 9: password rules accepted `98765432101`, `hotich2024`, `Quangtrung`. Now length ≥ 10, Django's
common list, all-digit passwords and passwords made of Vietnamese names, place names, trade words and
sequences are refused, whatever the case and diacritics, with a Vietnamese message."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.factories import make_unit


def refusal(password: str) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_password(password)
    return " ".join(caught.value.messages)


@pytest.mark.parametrize("password", ["98765432101", "hotich2024", "Quangtrung"])
def test_the_findings_three_passwords_are_refused_in_vietnamese(db, vietnamese, password):
    message = refusal(password)
    assert "Mật khẩu" in message
    if password == "98765432101":
        assert "hoàn toàn là số" in message
    else:
        assert "quá dễ đoán" in message


@pytest.mark.parametrize(
    "password",
    ["QUẢNG TRUNG 12", "Nguyễn Văn An 1990", "matkhau@123", "Hà Nam 2024!", "qwerty123456", "Lê Hồng Phong"],
)
def test_names_places_and_sequences_are_refused_whatever_case_and_diacritics(db, password):
    assert "too easy to guess" in refusal(password) or "too common" in refusal(password)


def test_a_unit_in_the_database_is_a_place_name(db):
    make_unit("Xã Khuổi Xiêm", "commune")
    assert "too easy to guess" in refusal("KhuoiXiem@2025")


def test_short_passwords_are_refused(db):
    assert "at least 10 characters" in refusal("Xk9#pqLm2")


@pytest.mark.parametrize("password", ["Xk9#pqLm2z-4", "tàu hoả chạy qua cầu gỗ 7", "K7f@Hanoi9zWq"])
def test_unrelated_passwords_pass(db, password):
    validate_password(password)
