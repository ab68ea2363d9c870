"""Common Vietnamese names: family names with their shares, middle names, given names by sex.

Two uses: the likely-duplicate check asks whether two close given names are both real
names (twins "Lan" and "Loan", not a slip of one letter), and the duplicate evaluation
draws its people from these shares. Family shares follow the usual figures (Nguyễn ≈ 38 %,
Trần ≈ 11 %, Lê ≈ 9.5 %, …); given names are written as books write them, in both tone
placements where the two exist ("Hoà" / "Hòa").
"""

from __future__ import annotations

from functools import cache

from vietnamese.names import name_exact_key, name_key

# (family name, share in % of the population)
FAMILY_SHARES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.0),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Hoàng", 4.0),
    ("Huỳnh", 1.5),
    ("Phan", 4.5),
    ("Vũ", 3.0),
    ("Võ", 1.0),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
    ("Đinh", 1.0),
    ("Trịnh", 0.8),
    ("Đoàn", 0.7),
    ("Lương", 0.6),
    ("Mai", 0.5),
    ("Tạ", 0.4),
    ("Cao", 0.5),
    ("Lưu", 0.4),
    ("Chu", 0.3),
    ("Vương", 0.3),
    ("Kiều", 0.2),
    ("Quách", 0.2),
    ("Thân", 0.1),
    ("Khúc", 0.1),
    ("Hà", 0.5),
    ("Lâm", 0.3),
    ("Châu", 0.1),
    ("Thái", 0.2),
    ("Tô", 0.2),
    ("La", 0.1),
)

# (middle name, weight)
MIDDLE_MALE: tuple[tuple[str, int], ...] = (
    ("Văn", 40),
    ("Đức", 8),
    ("Minh", 8),
    ("Hữu", 6),
    ("Quang", 6),
    ("Công", 5),
    ("Thành", 4),
    ("Xuân", 4),
    ("Duy", 3),
    ("Ngọc", 3),
    ("Thanh", 3),
    ("Đình", 4),
    ("Quốc", 3),
    ("Trọng", 3),
    ("Anh", 2),
    ("Hoàng", 2),
    ("Gia", 2),
    ("Tuấn", 2),
)
MIDDLE_FEMALE: tuple[tuple[str, int], ...] = (
    ("Thị", 55),
    ("Thu", 5),
    ("Ngọc", 6),
    ("Thanh", 4),
    ("Kim", 4),
    ("Mỹ", 3),
    ("Bích", 3),
    ("Thùy", 3),
    ("Thuỳ", 1),
    ("Hồng", 3),
    ("Phương", 3),
    ("Minh", 2),
    ("Diệu", 2),
    ("Khánh", 2),
    ("Hoài", 2),
    ("Bảo", 2),
)

GIVEN_MALE: tuple[str, ...] = (
    "An", "Anh", "Bảo", "Bình", "Cường", "Chiến", "Công", "Dũng", "Duy", "Dương", "Đạt", "Định",
    "Đức", "Giang", "Hải", "Hào", "Hậu", "Hiếu", "Hiển", "Hoà", "Hòa", "Hoài", "Hoàng", "Hoè",
    "Hùng", "Hưng", "Huy", "Khải", "Khang", "Khánh", "Khoa", "Khuê", "Kiên", "Lâm", "Lộc", "Lợi",
    "Long", "Luỹ", "Lũy", "Lực", "Mạnh", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc",
    "Quân", "Quang", "Quý", "Quyết", "Sang", "Sơn", "Tài", "Tâm", "Tân", "Thái", "Thắng", "Thành",
    "Thiện", "Thịnh", "Thọ", "Thuận", "Thuỵ", "Thụy", "Thuỷ", "Thủy", "Tiến", "Toàn", "Toản",
    "Trí", "Trung", "Tú", "Tuấn", "Tuệ", "Tùng", "Văn", "Việt", "Vinh", "Vũ", "Vương", "Xuân",
    "Hiệp", "Hoan", "Hoàn", "Hoán", "Huân", "Luân", "Quyền", "Tuyên", "Uy", "Ty",
)  # fmt: skip
GIVEN_FEMALE: tuple[str, ...] = (
    "Anh", "Ánh", "Bích", "Chi", "Cúc", "Dung", "Diệp", "Duyên", "Đào", "Giang", "Hà", "Hạnh",
    "Hằng", "Hiền", "Hoa", "Hoà", "Hòa", "Hoè", "Hồng", "Huệ", "Hương", "Huyền", "Khánh", "Khuê",
    "Lan", "Liên", "Linh", "Loan", "Loà", "Lụa", "Ly", "Mai", "Mơ", "My", "Nga", "Ngân", "Ngọc",
    "Nhàn", "Nhi", "Nhung", "Như", "Nhuệ", "Oanh", "Phương", "Phượng", "Quyên", "Quỳnh", "Sen",
    "Tâm", "Thanh", "Thảo", "Thoa", "Thơm", "Thu", "Thuý", "Thúy", "Thuỳ", "Thùy", "Thuỷ", "Thủy",
    "Trâm", "Trang", "Trinh", "Tuyết", "Tươi", "Uyên", "Vân", "Xoan", "Xuân", "Yến", "Hoan",
    "Hoài", "Hân", "Hậu", "Huyên", "Lam", "Lành", "Loan", "Luyến", "Nguyệt", "Quế", "Tuyền",
    "Vy", "Thư", "Thương", "Hường", "Lương", "Nhạn", "Quyền", "Tuyên", "Xuyến",
)  # fmt: skip


@cache
def _known() -> tuple[frozenset[str], frozenset[str]]:
    names = {*GIVEN_MALE, *GIVEN_FEMALE}
    return frozenset(name_exact_key(n) for n in names), frozenset(name_key(n) for n in names)


def is_known_given_name(key: str, *, exact: bool) -> bool:
    """Whether a given name is a common one: `key` is its `name_exact_key` (exact=True, marks
    compared, tone placement ignored) or its diacritic-free `name_key` (exact=False)."""
    exact_keys, plain_keys = _known()
    return key in (exact_keys if exact else plain_keys)
