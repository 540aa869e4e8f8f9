"""API for data stewards: import batches and the quarantine."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api import AuditedListMixin, AuditedRetrieveMixin, IsDataSteward
from casework.audit import Actor, record
from casework.models import AuditAction

from . import contract, importing
from .models import BatchOrigin, ImportBatch, QuarantinedRow
from .tokens import FeedTokenAuthentication, HasFeedToken


class ImportBatchSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

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
        ]
        read_only_fields = fields


class QuarantinedRowSerializer(serializers.ModelSerializer):
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

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
            "status",
            "resolved_at",
            "resolved_by",
            "resubmitted_in",
        ]
        read_only_fields = fields


class ResubmitSerializer(serializers.Serializer):
    row = serializers.DictField(child=serializers.CharField(allow_blank=True), help_text="The corrected row.")


class ImportBatchViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ImportBatchSerializer
    permission_classes = [IsDataSteward]
    filterset_fields = ["feed", "status", "origin"]
    audit_object_type = "importbatch"
    queryset = ImportBatch.objects.select_related("uploaded_by")


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
            raise ValidationError(str(exc)) from exc
        if summary.status == "rejected":
            record(
                Actor.from_request(request), AuditAction.DENIED, row, detail={"resubmission": summary.error}
            )
            raise ValidationError({"row": [summary.error]})
        record(
            Actor.from_request(request), AuditAction.UPDATE, row, detail={"resubmitted_in": summary.batch_id}
        )
        return Response(ImportBatchSerializer(ImportBatch.objects.get(pk=summary.batch_id)).data)


class FeedUploadView(APIView):
    """Upload one feed file (multipart ``file``) or its rows as JSON (a list of objects, or ``{"rows": [...]}``).

    Authenticated by a bureau's feed token (``Authorization: Token <key>``); a bureau may send only its own
    feeds. The answer is the import summary; rows that break the contract are quarantined, not refused.
    """

    authentication_classes = [FeedTokenAuthentication]
    permission_classes = [HasFeedToken]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(request=None, responses=ImportBatchSerializer)
    def post(self, request, feed: str):
        if feed not in contract.FEEDS:
            raise NotFound(f"unknown feed {feed!r}")
        token = request.auth
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        try:
            if upload is not None:
                summary = importing.import_file_bytes(
                    feed=feed,
                    data=upload.read(),
                    file_name=upload.name,
                    encoding=request.query_params.get("encoding"),
                    origin=BatchOrigin.API,
                )
            else:
                rows = request.data.get("rows") if isinstance(request.data, dict) else request.data
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise ValidationError("Send a file, or a JSON list of row objects.")
                summary = importing.import_rows(feed=feed, rows=rows)
        except contract.ContractError as exc:
            raise ValidationError(str(exc)) from exc
        record(
            Actor(user=None, ip_address=request.META.get("REMOTE_ADDR"), path=request.path),
            AuditAction.CREATE,
            detail={
                "feed": feed,
                "token": str(token),
                "bureau": token.bureau.code,
                "batch": summary.batch_id,
            },
            username=f"token:{token.prefix}",
        )
        return Response(summary.as_dict(), status=201 if summary.status == "completed" else 200)
