"""The house reads top-down: a worker needs no blueprint, the registries are tables in one place,
and imports never run back up (web → services → models/db/enums; customs beside services; jobs
over services)."""
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

from coo import enums
from coo.clock import utcnow
from coo.models import (
    Authorisation, Certificate, CustomsExchange, Enterprise, ExceptionApplication, PrintJob, database,
)
from coo.services import authorisation, exchanges, sweep

ROOT = Path(__file__).resolve().parent.parent
HUADONG = "浙江华东进出口有限公司"


# --- the registries ---------------------------------------------------------------------------

def test_every_exchange_kind_has_one_receipt_handler_in_the_table():
    assert set(exchanges.HANDLERS) == set(enums.ExchangeKind)
    for kind in enums.ExchangeKind:
        assert callable(exchanges.handler(kind)), kind
        assert exchanges.handler(kind.value) is exchanges.handler(kind)
    assert exchanges.GIVE_UP_KINDS <= set(enums.ExchangeKind)


def test_the_sweep_steps_are_listed_in_the_sweep_module():
    assert [step.__name__ for step in sweep.STEPS] == [
        "exchanges", "layouts", "exports", "print_jobs", "customs_nonces"]
    assert all(step.__module__ == sweep.__name__ for step in sweep.STEPS)


# A worker's process as the Procfile starts it, except that `coo.web` (and with it every
# blueprint) cannot be imported at all: receipts and the sweep must work from the services.
WORKER_WITHOUT_WEB = r"""
import json, sys

class NoWeb:
    def find_spec(self, name, path=None, target=None):
        if name == "coo.web" or name.startswith("coo.web."):
            raise ImportError(f"a worker imported {name}")
        return None

sys.meta_path.insert(0, NoWeb())
from jobs import customs, maintenance
results = {"exchanges": [customs.run_exchange(int(i)) for i in sys.argv[1:]],
           "sweep": maintenance.sweep()}
results["web_modules"] = sorted(m for m in sys.modules if m.startswith("coo.web"))
results["blueprints"] = sorted(__import__("jobs").app().blueprints)
print(json.dumps(results))
"""


def _exchange_of_every_kind(app):
    from customs_helpers import forget_demo_authorisations, make_seal, make_signature
    forget_demo_authorisations()
    huadong = Enterprise.get(Enterprise.name_zh == HUADONG)
    assert authorisation.set_default_seal(huadong, make_seal(huadong).id, "test") == ""
    assert authorisation.set_default_signature(huadong, make_signature(huadong).id, "test") == ""
    with app.test_request_context():
        auth = authorisation.submit(huadong, "王建国").authorisation
    to_archive, to_reprint = (Certificate.select().where(Certificate.exporter == huadong)
                              .order_by(Certificate.id).limit(2))
    Certificate.update(print_status=enums.PrintStatus.PRINTED, print_count=1).where(
        Certificate.id.in_([to_archive.id, to_reprint.id])).execute()
    application = ExceptionApplication.create(certificate=to_reprint, enterprise=huadong,
                                              reason=enums.ExceptionReason.PAPER_JAM, applied_by="李晓梅")
    with app.app_context():
        opened = [CustomsExchange.get(CustomsExchange.subject_id == auth.id),
                  exchanges.open_exchange(enums.ExchangeKind.ARCHIVE, to_archive.id,
                                          {"certificate_number": to_archive.number}),
                  exchanges.open_exchange(enums.ExchangeKind.EXCEPTION, application.id,
                                          {"certificate_number": to_reprint.number})]
    assert {e.kind for e in opened} == set(enums.ExchangeKind)
    stale = PrintJob.create(certificate=to_archive, enterprise=huadong, kind=enums.PrintKind.COPY,
                            requested_by="李晓梅", created_at=utcnow() - datetime.timedelta(days=1))
    return auth, to_archive, to_reprint, application, stale, opened


def test_a_worker_without_the_web_applies_every_kind_of_receipt_and_runs_the_sweep(app, demo, test_env):
    auth, to_archive, to_reprint, application, stale, opened = _exchange_of_every_kind(app)
    database.close()
    result = subprocess.run([sys.executable, "-c", WORKER_WITHOUT_WEB, *(str(e.id) for e in opened)],
                            env=dict(os.environ, **test_env), cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    database.connect(reuse_if_open=True)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["exchanges"] == ["applied"] * 3
    assert out["web_modules"] == [] and out["blueprints"] == []
    assert out["sweep"]["print_jobs"] == 1
    assert all(CustomsExchange.get_by_id(e.id).status == enums.ExchangeStatus.DONE for e in opened)
    assert Authorisation.get_by_id(auth.id).status == enums.ReceiptStatus.SUCCESS
    assert Certificate.get_by_id(to_archive.id).archive_status == enums.ArchiveStatus.ARCHIVED
    assert ExceptionApplication.get_by_id(application.id).status == enums.ExceptionStatus.ACCEPTED
    assert Certificate.get_by_id(to_reprint.id).reprint_allowed is True
    assert PrintJob.get_by_id(stale.id).status == enums.PrintJobStatus.FAILED
