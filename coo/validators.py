"""Check digits of Chinese national codes. Pure functions; messages are the caller's."""
import datetime

# GB 32100-2015: unified social credit code (统一社会信用代码), 18 characters.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    if not isinstance(code, str) or len(code) != 18:
        return False
    code = code.upper()
    if any(c not in _USCC_ALPHABET for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


# GB 11643-1999: citizen identity number (公民身份号码), 18 characters, ISO 7064 MOD 11-2.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def id_birth_date(number: str):
    """The birth date encoded in an 18-digit ID, or None if it is not a real past date."""
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    if born.year < 1900 or born > datetime.date.today():
        return None
    return born


def is_valid_customs_code(code: str) -> bool:
    return isinstance(code, str) and len(code) == 10 and code.isalnum()
