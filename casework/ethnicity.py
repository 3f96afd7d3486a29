"""Vietnam's 54 ethnic groups with their official codes (General Statistics Office list, Decision
121-TCTK/PPCĐ). Proper names, the same in every language."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Ethnicity(models.TextChoices):
    KINH = "01", "Kinh"
    TAY = "02", "Tày"
    THAI = "03", "Thái"
    HOA = "04", "Hoa"
    KHMER = "05", "Khơ-me"
    MUONG = "06", "Mường"
    NUNG = "07", "Nùng"
    HMONG = "08", "HMông"
    DAO = "09", "Dao"
    GIA_RAI = "10", "Gia-rai"
    NGAI = "11", "Ngái"
    E_DE = "12", "Ê-đê"
    BA_NA = "13", "Ba-na"
    XO_DANG = "14", "Xơ-đăng"
    SAN_CHAY = "15", "Sán Chay"
    CO_HO = "16", "Cơ-ho"
    CHAM = "17", "Chăm"
    SAN_DIU = "18", "Sán Dìu"
    HRE = "19", "Hrê"
    MNONG = "20", "Mnông"
    RAGLAI = "21", "Ra-glai"
    XTIENG = "22", "Xtiêng"
    BRU_VAN_KIEU = "23", "Bru-Vân Kiều"
    THO = "24", "Thổ"
    GIAY = "25", "Giáy"
    CO_TU = "26", "Cơ-tu"
    GIE_TRIENG = "27", "Gié-Triêng"
    MA = "28", "Mạ"
    KHO_MU = "29", "Khơ-mú"
    CO = "30", "Co"
    TA_OI = "31", "Tà-ôi"
    CHO_RO = "32", "Chơ-ro"
    KHANG = "33", "Kháng"
    XINH_MUN = "34", "Xinh-mun"
    HA_NHI = "35", "Hà Nhì"
    CHU_RU = "36", "Chu-ru"
    LAO = "37", "Lào"
    LA_CHI = "38", "La Chí"
    LA_HA = "39", "La Ha"
    PHU_LA = "40", "Phù Lá"
    LA_HU = "41", "La Hủ"
    LU = "42", "Lự"
    LO_LO = "43", "Lô Lô"
    CHUT = "44", "Chứt"
    MANG = "45", "Mảng"
    PA_THEN = "46", "Pà Thẻn"
    CO_LAO = "47", "Cơ Lao"
    CONG = "48", "Cống"
    BO_Y = "49", "Bố Y"
    SI_LA = "50", "Si La"
    PU_PEO = "51", "Pu Péo"
    BRAU = "52", "Brâu"
    O_DU = "53", "Ơ Đu"
    RO_MAM = "54", "Rơ-măm"
    FOREIGN = "98", _("Foreign national")
    UNKNOWN = "99", _("Not known")


# Every group but these is an ethnic minority: the majority (Kinh), foreign nationals and the not known.
# In this order the statistics list them around the minority groups.
NOT_MINORITY: tuple[Ethnicity, ...] = (Ethnicity.KINH, Ethnicity.FOREIGN, Ethnicity.UNKNOWN)
