"""The one parser for what arrives as text: integers, row ids, page numbers, dates, seconds.

Every route, 查询区 and API reads its numbers and dates through these functions, so crafted
input (`²`, which `str.isdigit()` accepts and `int()` refuses; a 5,000-digit id; `0001-01-01`,
whose day before overflows; `inf`) is a value the caller refuses with its own words, never an
exception. Each parser returns the value or None; callers turn None into the form's 422 with a
Chinese message (the `*_ERROR` texts here), or into 404 for an id.

`IdConverter` replaces werkzeug's `int` converter app-wide (`coo.web.init_app`): in this app
every `<int:…>` URL argument names a row, so one outside the 64-bit range SQLite and PostgreSQL
keep does not match the route: 404, never an overflow in the database driver. It matches 0 (no
row has it, so the lookup answers 404) because rq-dashboard's `<int:instance_number>` is 0.
"""
import datetime
import math

from werkzeug.routing import IntegerConverter, ValidationError

MAX_ID = 2 ** 63 - 1                     # BIGINT / SQLite INTEGER
MAX_PAGE = 100_000
# Dates a user may type in a 查询区 or a form. Outside, `date ± 1 day` and the UTC bounds of a
# local day would overflow (year 1 and 9999), and no certificate, seal or log entry lives there.
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2999, 12, 31)

PAGE_ERROR = "页码应为正整数。"
DATE_FORMAT_ERROR = "日期格式应为 YYYY-MM-DD。"
DATE_RANGE_ERROR = f"日期应在 {MIN_DATE.isoformat()} 至 {MAX_DATE.isoformat()} 之间。"

_DIGITS = frozenset("0123456789")


def _text(value) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value).strip()


def parse_int(value, low: int = 0, high: int = MAX_ID) -> int | None:
    """A non-negative decimal integer written with ASCII digits, within [low, high]; else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if low <= value <= high else None
    text = _text(value)
    if not text or len(text) > len(str(high)) or not _DIGITS.issuperset(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def parse_id(value) -> int | None:
    """A row id: 1 … 2^63−1. None means "no such row" (404), whatever was sent."""
    return parse_int(value, 1, MAX_ID)


MAX_IDS = 1000


def parse_ids(values, limit: int = MAX_IDS) -> list[int] | None:
    """Several ids (a form's checkboxes), without repeats, in the order given; None if any is
    bad or there are more than `limit` (a page never offers that many)."""
    values = list(values)
    if len(values) > limit:
        return None
    ids = []
    for value in values:
        number = parse_id(value)
        if number is None:
            return None
        if number not in ids:
            ids.append(number)
    return ids


def parse_page(value) -> int | None:
    """A page number: empty is page 1; otherwise 1 … MAX_PAGE, else None (PAGE_ERROR)."""
    if not _text(value):
        return 1
    return parse_int(value, 1, MAX_PAGE)


def parse_date(value) -> tuple[datetime.date | None, str]:
    """(date, "") for YYYY-MM-DD within MIN_DATE … MAX_DATE; (None, "") when empty;
    (None, message) otherwise."""
    text = _text(value)
    if not text:
        return None, ""
    if len(text) != 10 or not text.isascii():
        return None, DATE_FORMAT_ERROR
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None, DATE_FORMAT_ERROR
    if not (MIN_DATE <= day <= MAX_DATE):
        return None, DATE_RANGE_ERROR
    return day, ""


def parse_seconds(value, default: float, high: float) -> float | None:
    """A finite number of seconds in [0, high] (`wait=2.5`); empty is `default`; `inf`, `nan`,
    negative or too large is None."""
    text = _text(value)
    if not text:
        return default
    if len(text) > 32 or not text.isascii():
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) and 0 <= number <= high else None


class IdConverter(IntegerConverter):
    """`<int:…>` for row ids: ASCII digits, 0 … 2^63−1; anything else does not match (404)."""
    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_int(value, 0, MAX_ID)
        if number is None:
            raise ValidationError()
        return number
