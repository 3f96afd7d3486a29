"""Two hundred common Vietnamese family and given names, as people type them into a search box.

Kinh family names by frequency, then women's given names (the ones issue 9 found in URLs first),
then names of the Central Highlands and the northern mountains: Gia Rai and Ê Đê family names
(Ksor, Siu, Rơ Mah, Niê…), the "Y" and "H'" that mark a woman's given name, Hmông, Thái and Tày
family names. A few whole names and given-name pairs are included, because that is what gets typed.
"""

from __future__ import annotations

import unicodedata

FAMILY_NAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
    "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Đào", "Đoàn", "Trịnh",
    "Trương", "Lâm", "Phùng", "Cao", "Lương", "Tạ", "Tô", "Chu", "Quách", "Thái",
    "Kiều", "Triệu", "Lưu", "Tăng", "Vương", "Hứa", "Lại", "Mạc", "Từ", "Khúc",
    "Nông", "Âu", "Bạch", "Diệp", "Thân", "Tôn", "Ninh", "Ông", "Tống", "Phó",
    "Lã", "Văn", "Giáp", "Doãn", "Nghiêm",
)

GIVEN_NAMES = (
    # Issue 9: 14 of these 19 reached the address bar.
    "Thu", "Thanh", "Hạnh", "Hằng", "Nga", "Anh", "Vân", "Thắm", "Duyên", "Tuyết",
    "Huyền", "Hà Thu", "Y Nhàn", "Huệ", "Lan", "Mai", "Hương", "Hoa", "Hồng",
    # Other common women's given names.
    "Ngọc", "Linh", "Trang", "Thảo", "Phương", "Hiền", "Nhung", "Loan", "Yến", "Xuân",
    "Nhàn", "Lệ", "Dung", "Quyên", "Thủy", "Thúy", "Hòa", "Liên", "Oanh", "Uyên",
    "Vy", "Chi", "Giang", "Hậu", "My", "Ly", "Nhi", "Quỳnh", "Tâm", "Tiên",
    "Trinh", "Tú", "Bích", "Cúc", "Gấm", "Kim", "Khánh", "Lụa", "Mến", "Nương",
    "Phượng", "Sen", "Sương", "Thơm", "Thoa", "Trâm", "Vui", "Xoan", "Ánh", "Diễm",
    "Hân", "Lành", "Ngân", "Nguyệt", "Tươi", "Út", "Thư", "Hải",
    # Given-name pairs and whole names.
    "Thanh Huệ", "Thu Hằng", "Thúy Hằng", "Thanh Hương", "Ngọc Anh", "Kim Ngân",
    "Nguyễn Thị Thanh", "Trần Thị Thu Hà", "Lê Thị Hạnh", "Phạm Thị Nga",
    "Thanhhue", "Thuyhang",
)

HIGHLANDS_AND_MOUNTAIN_NAMES = (
    # Gia Rai, Ê Đê, Ba Na, Xơ Đăng (Central Highlands): family names and women's given names.
    "Ksor", "Siu", "Rơ Mah", "Rơ Châm", "Nay", "Kpă", "Rah Lan", "Niê", "Mlô", "Byă",
    "Êban", "Adrơng", "Hđơk", "Buôn Yă", "Đinh Thị", "A Sang", "H'Hen", "H'Lan", "H'Bia",
    "H'Mai", "H'Prưk", "H'Nhơ", "H'Wơn", "H'Yim", "H'Xuân", "Y Blin", "Y Drai", "Y Bình", "Y Sương",
    "Y Hlinh", "Ksor H'Hen", "Siu H'Lan", "Rơ Mah H'Bia", "Niê H'Yim",
    # Hmông, Thái, Tày, Dao, Mường (northern mountains).
    "Giàng", "Sùng", "Vàng", "Thào", "Mùa", "Lò", "Cà", "Quàng", "Lường", "Hà",
    "Mỷ", "Dế", "Sua", "Pằng", "Say", "Giàng Thị Mỷ", "Lò Thị Ẻn", "Triệu Thị Mẩy",
    "Sầm", "Bế", "Hoàng Thị Slao", "Lục",
)

NAMES: tuple[str, ...] = tuple(dict.fromkeys(FAMILY_NAMES + GIVEN_NAMES + HIGHLANDS_AND_MOUNTAIN_NAMES))


def without_diacritics(text: str) -> str:
    """What a keyboard without Vietnamese input gives: no tone or vowel marks, đ as d."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def typed_forms(name: str) -> list[str]:
    """The name with and without diacritics, each in upper and in lower case, without repeats."""
    forms = [variant(base) for base in (name, without_diacritics(name)) for variant in (str.upper, str.lower)]
    return list(dict.fromkeys(forms))
