"""API for data stewards: import batches and the quarantine."""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.access import policy
from casework.access.audit import Actor, record
from casework.api.parsers import JSONParser
from casework.api.views import AuditedListMixin, AuditedRetrieveMixin, IsDataSteward, call_service
from casework.models import AuditAction, YouthMerge, YouthSplit
from integrations.feeds import contract, importing, uploads
from integrations.feeds.reasons import readable
from integrations.feeds.tokens import FeedTokenAuthentication, HasFeedToken
from integrations.linkage import identity, review
from integrations.linkage import views as linkage_views
from integrations.linkage.sealing import NOTICE_FEED
from integrations.models import (
    BatchOrigin,
    BatchStatus,
    ImportBatch,
    LinkageModel,
    QuarantinedRow,
    ReviewPair,
)

logger = logging.getLogger(__name__)


class BatchProgressSerializer(serializers.Serializer):
    """Empty for a batch that was not queued (imported by a command, a drop or a small upload)."""

    stage = serializers.CharField(
        required=False, help_text="queued, reading, validating, storing, finished or failed."
    )
    done = serializers.IntegerField(
        required=False, help_text="Rows (bytes while reading) done in this stage."
    )
    total = serializers.IntegerField(
        required=False, help_text="Rows (bytes while reading) in this stage; 0 when not known."
    )
    stages = serializers.DictField(
        child=serializers.FloatField(), required=False, help_text="Seconds per finished stage."
    )


class ImportBatchSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    progress = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, batch) -> str:
        return batch_url(self.context.get("request"), batch)

    @extend_schema_field(BatchProgressSerializer)
    def get_progress(self, batch) -> dict:
        """A queued upload's import as a worker reports it (live while it runs); empty for other batches."""
        return uploads.batch_progress(batch)

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "feed",
            "file_name",
            "checksum",
            "encoding",
            "origin",
            "uploaded_by",
            "received_at",
            "status",
            "error",
            "rows_read",
            "created",
            "updated",
            "unchanged",
            "quarantined",
            "sealed",
            "progress",
            "url",
        ]
        read_only_fields = fields


class QuarantinedRowSerializer(serializers.ModelSerializer):
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reasons_text = serializers.SerializerMethodField(
        help_text="The reasons in the request's language (Accept-Language); `reasons` keeps the stored English."
    )

    class Meta:
        model = QuarantinedRow
        fields = [
            "id",
            "batch",
            "feed",
            "row_number",
            "record_key",
            "raw",
            "reasons",
            "reasons_text",
            "status",
            "resolved_at",
            "resolved_by",
            "resubmitted_in",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reasons_text(self, row) -> list[str]:
        return [readable(r) for r in row.reasons or []]


class ResubmitSerializer(serializers.Serializer):
    row = serializers.DictField(child=serializers.CharField(allow_blank=True), help_text="The corrected row.")


class ImportBatchViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ImportBatchSerializer
    permission_classes = [IsDataSteward]
    filterset_fields = ["feed", "status", "origin"]
    audit_object_type = "importbatch"
    queryset = ImportBatch.objects.select_related("uploaded_by")

    def get_queryset(self):
        uploads.fail_stale_batches()  # a stuck upload is shown failed, not "importing" for ever
        return super().get_queryset()


class QuarantinedRowViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = QuarantinedRowSerializer
    permission_classes = [IsDataSteward]
    filterset_fields = ["feed", "status", "batch"]
    audit_object_type = "quarantinedrow"
    queryset = QuarantinedRow.objects.select_related("resolved_by")

    @extend_schema(request=ResubmitSerializer, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        """Run the corrected row through the whole contract; 400 with the reasons if it still breaks it."""
        row = self.get_object()
        body = ResubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            summary = importing.resubmit_quarantined(
                row=row, fixed=body.validated_data["row"], user=request.user
            )
        except ValueError as exc:
            raise ValidationError(readable(str(exc))) from exc
        if summary.status == "rejected":
            record(
                Actor.from_request(request), AuditAction.DENIED, row, detail={"resubmission": summary.error}
            )
            raise ValidationError({"row": [summary.error]})
        record(
            Actor.from_request(request), AuditAction.UPDATE, row, detail={"resubmitted_in": summary.batch_id}
        )
        return Response(
            ImportBatchSerializer(
                ImportBatch.objects.get(pk=summary.batch_id), context={"request": request}
            ).data
        )


FEED_UPLOAD_MAX_BYTES = 64 * 1024 * 1024
"""Largest feed file (or JSON body) accepted by the upload API; ``settings.FEED_UPLOAD_MAX_BYTES`` overrides it.
A year of city-wide absences is well under this; anything larger is refused before it is read into memory."""


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def _upload_limit() -> int:
    return int(getattr(settings, "FEED_UPLOAD_MAX_BYTES", FEED_UPLOAD_MAX_BYTES))


def _unstorable(rows: list[dict]) -> str:
    """Why JSON rows cannot be stored at all ('' when they can): PostgreSQL text holds neither NUL nor a lone
    surrogate, so such a request is refused as a whole, as a file with NUL bytes is."""
    for number, row in enumerate(rows, start=1):
        for key, value in row.items():
            for text in (key, value):
                if not isinstance(text, str):
                    continue
                if "\x00" in text:
                    return _("row %(n)s, column %(col)s: contains a NUL character") % {
                        "n": number,
                        "col": repr(key),
                    }
                if any("\ud800" <= char <= "\udfff" for char in text):
                    return _(
                        "row %(n)s, column %(col)s: contains an unpaired surrogate (not valid Unicode)"
                    ) % {
                        "n": number,
                        "col": repr(key),
                    }
    return ""


class FeedFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The feed file as the contract describes it: CSV, UTF-8 (with or without BOM) or CP950/Big5."
    )


class FeedRowsUploadSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        help_text="The rows as objects keyed by the feed's column names (a bare list of objects is accepted too).",
    )


def batch_url(request, batch) -> str:
    path = reverse("integrations-api:importbatch-detail", args=[batch.pk])
    return request.build_absolute_uri(path) if request is not None else path


class ImportSummarySerializer(serializers.Serializer):
    feed = serializers.CharField()
    batch_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    encoding = serializers.CharField()
    rows_read = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    sealed = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


UPLOAD_EXAMPLES = [
    OpenApiExample(
        "CSV file (multipart)",
        value={"file": "student_no,school_code,name,birth_date,sex,grade\nS001,SC01,王小明,098/03/12,M,9\n"},
        media_type="multipart/form-data",
        request_only=True,
    ),
    OpenApiExample(
        "JSON rows",
        value={
            "rows": [
                {
                    "contact_no": "P-2025-0001",
                    "national_id": "A123456789",
                    "name": "王小明",
                    "birth_date": "098/03/12",
                    "occurred_on": "2025-02-01",
                    "recorded_on": "2025-02-02",
                    "kind": "exposure",
                    "code": "late_night_loitering",
                    "unit": "中壢分局",
                }
            ]
        },
        media_type="application/json",
        request_only=True,
    ),
]


class FeedUploadView(APIView):
    """Upload one feed file (multipart ``file``) or its rows as JSON (a list of objects, or ``{"rows": [...]}``).

    Authenticated by a bureau's feed token (``Authorization: Token <key>``); a bureau may send only its own
    feeds. Rows that break the contract are quarantined, not refused. A small upload (a file of at most
    256 KB, or at most 1,000 JSON rows) is imported at once: 201 with the summary (200 for a file already
    imported). A larger one, or one sent with ``Prefer: respond-async``, is stored and imported by a worker:
    202 with the batch (status ``queued``) and its URL in ``Location``; the batch shows the progress and result.
    """

    authentication_classes = [FeedTokenAuthentication]
    permission_classes = [HasFeedToken]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": FeedFileUploadSerializer,
            "application/json": FeedRowsUploadSerializer,
        },
        responses={
            201: ImportSummarySerializer,
            200: ImportSummarySerializer,
            202: ImportBatchSerializer,
            400: OpenApiTypes.OBJECT,
            413: OpenApiTypes.OBJECT,
        },
        parameters=[
            OpenApiParameter("encoding", str, description="Force the file's encoding (utf-8, cp950, big5)."),
            OpenApiParameter(
                "Prefer",
                str,
                location=OpenApiParameter.HEADER,
                description="respond-async: queue the import whatever the upload's size (answer 202).",
            ),
        ],
        examples=UPLOAD_EXAMPLES,
    )
    def post(self, request, feed: str):
        if feed not in contract.FEEDS:
            raise NotFound(_("There is no feed called %(feed)s.") % {"feed": feed})
        token = request.auth
        limit = _upload_limit()
        declared = request.META.get("CONTENT_LENGTH") or "0"
        envelope = 64 * 1024 if request.content_type.startswith("multipart/") else 0
        if declared.isdigit() and int(declared) > limit + envelope:
            raise PayloadTooLarge(
                _("The upload is larger than the limit of %(limit)s bytes; split the file.")
                % {"limit": limit}
            )
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None and upload.size > limit:
            raise PayloadTooLarge(
                _("The file is %(size)s bytes, larger than the limit of %(limit)s bytes; split the file.")
                % {"size": upload.size, "limit": limit}
            )
        prefer_async = "respond-async" in request.headers.get("Prefer", "").lower()
        encoding = request.query_params.get("encoding") or ""
        queued = None
        try:
            if upload is not None:
                data = upload.read()
                name = (upload.name or "")[:255]
                if uploads.answered_at_once(size=len(data), prefer_async=prefer_async):
                    summary = importing.import_file_bytes(
                        feed=feed,
                        data=data,
                        file_name=name,
                        encoding=encoding or None,
                        origin=BatchOrigin.API,
                    )
                else:
                    queued = uploads.queue_upload(feed=feed, data=data, file_name=name, encoding=encoding)
            else:
                rows = request.data.get("rows") if isinstance(request.data, dict) else request.data
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise ValidationError(_("Send a file, or a JSON list of row objects."))
                problem = _unstorable(rows)
                if problem:
                    raise ValidationError(_("Nothing was imported: %(problem)s") % {"problem": problem})
                if uploads.answered_at_once(rows=len(rows), prefer_async=prefer_async):
                    summary = importing.import_rows(feed=feed, rows=rows)
                else:
                    queued = uploads.queue_upload(
                        feed=feed, data=uploads.rows_payload(rows), file_name="(api)", encoding="json"
                    )
        except contract.ContractError as exc:
            raise ValidationError(readable(str(exc))) from exc
        except APIException:
            raise
        except Exception:
            # An error the import did not expect (a database that went away, a bug): the import runs in one
            # transaction, so nothing of it was stored. Say so, as the queued path does, not with a bare 500.
            logger.exception("upload to %s stopped on an unexpected error", feed)
            return Response({"detail": readable(uploads.STOPPED)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        record(
            Actor(user=None, ip_address=request.META.get("REMOTE_ADDR"), path=request.path),
            AuditAction.CREATE,
            detail={
                "feed": feed,
                "token": str(token),
                "bureau": token.bureau.code,
                "batch": queued.pk if queued is not None else summary.batch_id,
                "queued": queued is not None,
            },
            username=f"token:{token.prefix}",
        )
        from integrations.tasks import import_feed_file, link_after_import

        if queued is not None:
            # Without a broker (tests, the demo) the task runs here and the batch is already finished.
            try:
                import_feed_file.delay(feed, batch_id=queued.pk)
            except Exception:
                # The broker refused the task, or (run here) an error the import did not handle: the batch
                # must not stay "queued" for ever, nor its bytes kept (docs/feeds.md, "Ways in").
                logger.exception("queued upload %s could not be imported", queued.pk)
                uploads.fail_upload(queued.pk)
            queued.refresh_from_db()
            url = batch_url(request, queued)
            body = ImportBatchSerializer(queued, context={"request": request}).data
            if queued.status == BatchStatus.FAILED and queued.error == uploads.STOPPED:
                # Run here and stopped on an unexpected error: say so plainly (nothing stored, send again).
                return Response(
                    {**body, "detail": readable(uploads.STOPPED)},
                    status=status.HTTP_503_SERVICE_UNAVAILABLE,
                    headers={"Location": url},
                )
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})
        if summary.batch_id and (summary.created or summary.updated):
            link_after_import.delay(summary.batch_id)
        return Response(summary.as_dict(), status=201 if summary.status == "completed" else 200)


# --------------------------------------------------------------------------------------------------------
# Record linkage: the review queue, the models, merges and splits (data stewards)
# --------------------------------------------------------------------------------------------------------


class CanStewardData(BasePermission):
    """Imports, quarantine and record-match review: data stewards only."""

    def has_permission(self, request, view):
        return policy.can_steward_data(request.user)


class ReviewSideSerializer(serializers.Serializer):
    feed = serializers.CharField()
    record_key = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    youth = serializers.CharField(
        help_text="Public ID of the youth the record is linked to now ('' if none)."
    )
    sealed = serializers.BooleanField(
        help_text="The record is sealed or withdrawn: its values are not shown."
    )


class ReviewPairSerializer(serializers.ModelSerializer):
    """A pair of records for review. The values of a sealed or withdrawn record are blanked (null)."""

    model_version = serializers.IntegerField(source="model.version", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    left = serializers.SerializerMethodField()
    right = serializers.SerializerMethodField()
    comparison = serializers.SerializerMethodField()

    class Meta:
        model = ReviewPair
        fields = [
            "id",
            "left_feed",
            "left_key",
            "right_feed",
            "right_key",
            "left",
            "right",
            "match_probability",
            "match_weight",
            "comparison",
            "model_version",
            "created_at",
            "status",
            "decided_by",
            "decided_at",
            "note",
        ]
        read_only_fields = fields

    def _sides(self, pair) -> tuple[dict, dict]:
        cache = self.context.setdefault("_sides", {})
        if pair.pk not in cache:
            left, right = linkage_views.sides(pair)
            keep = ("feed", "record_key", "received_at", "youth", "sealed")
            cache[pair.pk] = ({k: left[k] for k in keep}, {k: right[k] for k in keep})
        return cache[pair.pk]

    @extend_schema_field(ReviewSideSerializer)
    def get_left(self, pair) -> dict:
        return ReviewSideSerializer(self._sides(pair)[0]).data

    @extend_schema_field(ReviewSideSerializer)
    def get_right(self, pair) -> dict:
        return ReviewSideSerializer(self._sides(pair)[1]).data

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_comparison(self, pair) -> dict:
        left, right = self._sides(pair)
        return linkage_views.redacted_comparison(pair, left["sealed"], right["sealed"])


class ReviewDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Why: optional when accepting, required when rejecting.",
    )


class ReviewPairViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """Record pairs the linkage model could not decide on. Accept: one person (the youth are merged);
    reject: different people (with a note). A refused decision answers 400 with the reason."""

    serializer_class = ReviewPairSerializer
    permission_classes = [CanStewardData]
    filterset_fields = ["status"]
    audit_object_type = "reviewpair"
    queryset = ReviewPair.objects.select_related("model", "decided_by")

    def retrieve(self, request, *args, **kwargs):
        pair = self.get_object()
        data = self.get_serializer(pair).data
        # As the pair page does: the log names the youth both records are in.
        youth = [data["left"]["youth"], data["right"]["youth"]]
        record(Actor.from_request(request), AuditAction.VIEW, pair, detail={"youth": youth})
        return Response(data)

    def _decide(self, request, accept: bool):
        pair = self.get_object()
        body = ReviewDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pair = call_service(
            review.decide,
            pair=pair,
            accept=accept,
            actor=Actor.from_request(request),
            note=body.validated_data["note"],
        )
        pair = self.get_queryset().get(pk=pair.pk)
        return Response(self.get_serializer(pair).data)

    @extend_schema(request=ReviewDecisionSerializer, responses=ReviewPairSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Same person: the two youth records are merged (reversibly)."""
        return self._decide(request, accept=True)

    @extend_schema(request=ReviewDecisionSerializer, responses=ReviewPairSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Different people: the records are kept apart on every relink. A note is required."""
        return self._decide(request, accept=False)


class LinkageModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = LinkageModel
        fields = [
            "id",
            "version",
            "is_active",
            "created_at",
            "splink_version",
            "code_version",
            "upper_threshold",
            "lower_threshold",
            "trained_on",
            "metrics",
        ]
        read_only_fields = fields


class LinkageModelDetailSerializer(LinkageModelSerializer):
    class Meta(LinkageModelSerializer.Meta):
        fields = [*LinkageModelSerializer.Meta.fields, "settings"]
        read_only_fields = fields


class LinkageModelViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """Trained linkage models (read-only). The detail includes the Splink settings with m and u values."""

    permission_classes = [CanStewardData]
    filterset_fields = ["is_active"]
    audit_object_type = "linkagemodel"
    queryset = LinkageModel.objects.all()

    def get_serializer_class(self):
        return LinkageModelDetailSerializer if self.action == "retrieve" else LinkageModelSerializer


class YouthMergeSerializer(serializers.ModelSerializer):
    kept = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    absorbed = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reversed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    rows_moved = serializers.SerializerMethodField()

    class Meta:
        model = YouthMerge
        fields = [
            "id",
            "kept",
            "absorbed",
            "reason",
            "origin",
            "by",
            "at",
            "rows_moved",
            "reversed_at",
            "reversed_by",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_rows_moved(self, merge) -> dict:
        """Per table of the identity side (record links), how many rows moved (not which). A data steward's
        role is identity only: a count of cases, alerts or triage decisions moved would tell them a case had
        been opened or an alert raised (insider review 13, F3), so those tables are not counted here."""
        return {k: len(v) for k, v in (merge.moved or {}).items() if k.startswith("integrations.")}


class YouthSplitSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    created = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reversed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    records = serializers.SerializerMethodField(
        help_text="[feed, record key] pairs that moved to the new youth (court notices are not listed)."
    )

    class Meta:
        model = YouthSplit
        fields = [
            "id",
            "source",
            "created",
            "records",
            "reason",
            "origin",
            "by",
            "at",
            "reversed_at",
            "reversed_by",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ListField(child=serializers.CharField())))
    def get_records(self, split) -> list:
        # A court notice moved by an older split is not one of the person's records (Art. 83-1).
        return [list(r) for r in split.records or [] if r and r[0] != NOTICE_FEED]


class YouthMergeViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """Merges of youth records (by linkage runs or review decisions); each can be reversed once."""

    serializer_class = YouthMergeSerializer
    permission_classes = [CanStewardData]
    audit_object_type = "youthmerge"
    queryset = YouthMerge.objects.select_related("kept", "absorbed", "by", "reversed_by")

    @extend_schema(request=None, responses=YouthMergeSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Undo the merge: the rows that moved go back to the absorbed youth."""
        merge = call_service(
            identity.reverse_merge, merge=self.get_object(), actor=Actor.from_request(request)
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=merge.pk)).data)


class YouthSplitViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """Splits of youth records (records taken out into a new youth); each can be reversed once."""

    serializer_class = YouthSplitSerializer
    permission_classes = [CanStewardData]
    audit_object_type = "youthsplit"
    queryset = YouthSplit.objects.select_related("source", "created", "by", "reversed_by")

    @extend_schema(request=None, responses=YouthSplitSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Undo the split: the records (and their events) go back to the original youth."""
        split = call_service(
            identity.reverse_split, split=self.get_object(), actor=Actor.from_request(request)
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=split.pk)).data)
