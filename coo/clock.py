"""Time: stored as naive UTC everywhere; shown in China Standard Time (UTC+8, no DST)."""
import datetime

CST = datetime.timezone(datetime.timedelta(hours=8), "CST")


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def to_local(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=datetime.timezone.utc).astimezone(CST).replace(tzinfo=None)


def today_local() -> datetime.date:
    return to_local(utcnow()).date()
