"""Nonces of the signed requests customs sends us (`signing.verify`'s `remember`), in the
database: one row per nonce with its expiry, a unique index deciding who saw it first, and the
periodic sweep pruning the expired ones. A Redis restart cannot reopen the replay window."""
import datetime

from coo.clock import utcnow
from coo.models import CustomsNonce


def remember(nonce: str, seconds: int) -> bool:
    """Store `nonce` for `seconds`; True if it was new, False if it had been seen (a replay).
    One statement (INSERT … ON CONFLICT DO NOTHING): two racing requests cannot both win."""
    inserted = (CustomsNonce.insert(nonce=nonce, expires_at=utcnow() + datetime.timedelta(seconds=seconds))
                .on_conflict_ignore().as_rowcount().execute())
    return inserted == 1


def prune() -> int:
    """Delete the nonces no request could use any more (their timestamp is outside the window)."""
    return CustomsNonce.delete().where(CustomsNonce.expires_at < utcnow()).execute()
