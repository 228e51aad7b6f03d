"""The customs API's replay protection survives a Redis restart: the nonces of signed requests
live in the database, so a captured request sent again after Redis came back empty is still
refused as a replay (not let through to whatever the record would do)."""
import pytest

from coo.models import AuditEvent, Certificate, CustomsNonce

from tests.test_intake import post, record

pytestmark = pytest.mark.slow


def test_a_replayed_signed_request_is_refused_after_redis_restarts_empty(app, client, demo, redis_control):
    first, signed = post(client, app, record())
    assert first.status_code == 201, first.get_json()
    before = (Certificate.select().count(), AuditEvent.select().count())
    redis_control.restart()
    assert redis_control.client().dbsize() == 0          # Redis forgot everything it held
    replay, _ = post(client, app, record(), headers=signed)      # the same bytes, the same headers
    assert replay.status_code == 401
    assert replay.get_json()["error"] == "replayed_nonce"
    assert (Certificate.select().count(), AuditEvent.select().count()) == before
    assert CustomsNonce.select().count() == 1
