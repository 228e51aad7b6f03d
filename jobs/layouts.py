"""版式 jobs: render a certificate's original and copy PDFs (queue ``layouts``).

Enqueue with ``coo.queue.enqueue("jobs.layouts.render_certificate", cert.id,
job_id=f"layout-{cert.id}", queue_name="layouts")`` (or `coo.services.layouts.request_layout`).
"""
from jobs import with_app


@with_app
def render_certificate(certificate_id: int) -> str:
    """海关端生成 → 发送中 → 接收成功 for one certificate, or nothing when its layout is current.
    Safe to run twice: the rows say what is still to do (see `coo.services.layouts.run`)."""
    from coo.services import layouts
    return layouts.run(certificate_id)
