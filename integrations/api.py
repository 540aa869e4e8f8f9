"""API for data stewards: import batches and the quarantine."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from casework.api import AuditedListMixin, AuditedRetrieveMixin, IsDataSteward
from casework.audit import Actor, record
from casework.models import AuditAction

from . import importing
from .models import ImportBatch, QuarantinedRow


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
            raise ValidationError({"row": [summary.error]})
        record(
            Actor.from_request(request), AuditAction.UPDATE, row, detail={"resubmitted_in": summary.batch_id}
        )
        return Response(ImportBatchSerializer(ImportBatch.objects.get(pk=summary.batch_id)).data)
