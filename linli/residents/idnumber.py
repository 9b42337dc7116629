"""Chinese resident identity numbers (GB 11643-1999) with python-stdnum.

Pure functions, no Django models: used by forms, the API, the importer and the demo.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _
from stdnum import exceptions
from stdnum.cn import ric


class IdNumberError(ValueError):
    pass


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: date
    sex: str  # "M" or "F"


def parse_id_number(value: str, *, today: date | None = None) -> IdInfo:
    """Validate an 18-character ID number and read the birth date and sex from it."""
    # NFKC turns the full-width digits and Ｘ of Chinese input methods into ASCII; spaces and
    # dashes that people type between the groups are dropped.
    number = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value or "")).upper()
    if len(number) != 18:
        raise IdNumberError(_("ID number must have 18 characters"))
    # isdigit() alone accepts other scripts' digits, which int() then refuses or misreads.
    if not number.isascii() or not number[:17].isdigit() or number[17] not in "0123456789X":
        raise IdNumberError(_("ID number must be 17 digits followed by a digit or X"))
    if ric.calc_check_digit(number) != number[17]:
        raise IdNumberError(_("ID number check digit is wrong"))
    try:
        birth = ric.get_birth_date(number)
    except exceptions.ValidationError as exc:
        raise IdNumberError(_("ID number contains an impossible birth date")) from exc
    if birth > (today or date.today()) or birth.year < 1880:  # noqa: DTZ011
        raise IdNumberError(_("ID number contains an impossible birth date"))
    # The 17th digit is odd for men and even for women.
    sex = "M" if int(number[16]) % 2 else "F"
    return IdInfo(number=number, birth_date=birth, sex=sex)


def mask_id_number(number: str) -> str:
    """4201**********123X: region prefix and last four only, as shown in every list."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def make_id_number(region: str, birth: date, sequence: int) -> str:
    """A valid number for the demo and tests: 6-digit region, birth date, 3-digit sequence
    (odd for men, even for women) and the check digit."""
    body = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character
