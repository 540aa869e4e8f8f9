"""Pages for data stewards: import batches and the quarantine, where broken rows are fixed and resubmitted."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.models import AuditAction
from casework.pagination import paginate
from integrations.feeds import contract, importing, uploads
from integrations.feeds.reasons import readable, stage_label
from integrations.models import ImportBatch, QuarantinedRow, QuarantineStatus


def _require_steward(request) -> None:
    if not policy.can_steward_data(request.user):
        raise PermissionDenied


@login_required
def batch_list(request):
    _require_steward(request)
    uploads.fail_stale_batches()
    page = paginate(request, ImportBatch.objects.select_related("uploaded_by"))
    record_list(Actor.from_request(request), "importbatch", count=page.paginator.count)
    running = False
    for batch in page:
        batch.shown_progress = uploads.batch_progress(batch)
        batch.stage_label = stage_label(batch.shown_progress.get("stage") or "")
        # After the import, linking runs as a task of its own: shown until it is done.
        batch.linking = (batch.progress or {}).get("linking") or {}
        running |= batch.linking.get("state") == "running"
        batch.seconds = round(sum((batch.shown_progress.get("stages") or {}).values()), 1)
        running |= batch.status in uploads.ACTIVE
    # While a queued upload is waiting or importing, the page reloads itself to show how far it has got.
    return render(
        request, "integrations/feeds/batch_list.html", {"page": page, "query": "", "running": running}
    )


@login_required
def quarantine_list(request):
    _require_steward(request)
    status = request.GET.get("status") or QuarantineStatus.OPEN
    feed = request.GET.get("feed") or ""
    rows = QuarantinedRow.objects.filter(status=status).select_related("batch")
    if feed:
        rows = rows.filter(feed=feed)
    page = paginate(request, rows)
    record_list(
        Actor.from_request(request),
        "quarantinedrow",
        count=page.paginator.count,
        query={"status": status, "feed": feed},
    )
    return render(
        request,
        "integrations/feeds/quarantine_list.html",
        {
            "page": page,
            "status": status,
            "feed": feed,
            "feeds": list(contract.FEEDS),
            "statuses": QuarantineStatus.choices,
            "query": f"status={status}&feed={feed}",
        },
    )


class FixForm(forms.Form):
    """One text field per column of the quarantined row, pre-filled with what was received."""

    def __init__(self, *args, columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for column in columns:
            self.fields[column] = forms.CharField(label=column, required=False, strip=False)


@login_required
def quarantine_detail(request, pk: int):
    _require_steward(request)
    row = get_object_or_404(QuarantinedRow.objects.select_related("batch"), pk=pk)
    spec = contract.get_feed(row.feed)
    columns = list(dict.fromkeys([*spec.column_names, *row.raw.keys()]))
    columns = [c for c in columns if c != contract.OVERFLOW_KEY]
    initial = {c: row.raw.get(c, "") for c in columns}
    form = FixForm(request.POST or None, columns=columns, initial=initial)
    if request.method == "POST" and row.status == QuarantineStatus.OPEN and form.is_valid():
        fixed = {c: v for c, v in form.cleaned_data.items() if v != "" or c in row.raw}
        try:
            summary = importing.resubmit_quarantined(row=row, fixed=fixed, user=request.user)
        except ValueError as refused:
            record(
                Actor.from_request(request), AuditAction.DENIED, row, detail={"resubmission": str(refused)}
            )
            messages.error(request, readable(str(refused)))
            return redirect("integrations:quarantine-detail", pk=row.pk)
        if summary.status == "rejected":
            record(
                Actor.from_request(request), AuditAction.DENIED, row, detail={"resubmission": summary.error}
            )
            messages.error(
                request, _("The corrected row still breaks the contract: %(why)s") % {"why": summary.error}
            )
        else:
            record(
                Actor.from_request(request),
                AuditAction.UPDATE,
                row,
                detail={"resubmitted_in": summary.batch_id},
            )
            messages.success(request, _("The corrected row was imported."))
            return redirect("integrations:quarantine-list")
    else:
        record(Actor.from_request(request), AuditAction.VIEW, row)
    return render(request, "integrations/feeds/quarantine_detail.html", {"row": row, "form": form})
