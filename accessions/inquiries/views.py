"""The public rights-inquiry page: only for published records."""

import logging

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accessions.catalogue.models import Record
from accessions.inquiries.forms import RightsInquiryForm
from accessions.inquiries.submission import RateLimited, submit_inquiry

logger = logging.getLogger(__name__)

SESSION_KEY = "rights_inquiry_reference"


def _published_record(record_id: int) -> Record:
    return get_object_or_404(
        Record.objects.published().select_related("rights"), record_id=record_id
    )


@require_http_methods(["GET", "HEAD", "POST"])
def rights_inquiry(request, record_id: int):
    record = _published_record(record_id)
    form = RightsInquiryForm(request.POST or None)
    context = {"record": record, "form": form}
    if request.method != "POST":
        return render(request, "inquiries/form.html", context)
    if form.is_bot:
        # Look like success so that the bot learns nothing, but keep nothing.
        logger.info("Rights inquiry honeypot filled for record %s; dropped.", record.record_id)
        return redirect("accessions:rights_inquiry_sent", record_id=record.record_id)
    if not form.is_valid():
        return render(request, "inquiries/form.html", context, status=400)
    try:
        inquiry = submit_inquiry(
            record=record,
            record_url=request.build_absolute_uri(record.get_absolute_url()),
            client_ip=request.META.get("REMOTE_ADDR") or None,
            **form.cleaned_data_for_submission(),
        )
    except RateLimited:
        context["rate_limited"] = True
        return render(request, "inquiries/form.html", context, status=429)
    request.session[SESSION_KEY] = inquiry.reference
    return redirect("accessions:rights_inquiry_sent", record_id=record.record_id)


@require_safe
def rights_inquiry_sent(request, record_id: int):
    record = _published_record(record_id)
    reference = request.session.pop(SESSION_KEY, None)
    return render(request, "inquiries/sent.html", {"record": record, "reference": reference})
