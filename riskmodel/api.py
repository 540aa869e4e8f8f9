"""API for the risk-model registry: models (read-only, with the report and the published fairness audit in the
detail) and making a model the active one. Model stewards and supervisors only, as the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from casework import policy
from casework.api import AuditedListMixin, AuditedRetrieveMixin, call_service
from casework.audit import Actor

from . import report, views
from .models import RiskModel


class CanReadModelReports(BasePermission):
    def has_permission(self, request, view):
        return policy.can_read_model_reports(request.user)


class CanPromoteModels(BasePermission):
    def has_permission(self, request, view):
        return policy.can_promote_models(request.user)


class RiskModelSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="risk-v<version>")
    # A plain string, not an enum: the list and detail components would otherwise share one "status" choice
    # set, which drf-spectacular can only name with a warning (ENUM_NAME_OVERRIDES would lift this).
    status = serializers.CharField(read_only=True, help_text="candidate, active or retired")
    trained_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    gate_passed = serializers.SerializerMethodField()
    test = serializers.SerializerMethodField()

    class Meta:
        model = RiskModel
        fields = [
            "version",
            "label",
            "status",
            "as_of",
            "label_variant",
            "created_at",
            "activated_at",
            "trained_by",
            "code_version",
            "seed",
            "gate_passed",
            "test",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_gate_passed(self, model) -> bool | None:
        return (model.gate or {}).get("passed")

    @extend_schema_field(serializers.DictField(child=serializers.FloatField(allow_null=True)))
    def get_test(self, model) -> dict:
        """Headline metrics on the test period."""
        test = (model.metrics or {}).get("test") or {}
        return {k: test.get(k) for k in ("roc_auc", "average_precision", "brier", "ece", "prevalence")}


class RiskModelDetailSerializer(RiskModelSerializer):
    """The registry entry in full, except the booster and calibrator themselves; the fairness audit as the
    report page publishes it (``report.published_fairness``: counts of youth rounded to a multiple of 5, rates
    and calibration bins computed from them), never with the exact counts of small groups."""

    fairness = serializers.SerializerMethodField()

    class Meta(RiskModelSerializer.Meta):
        fields = [
            *RiskModelSerializer.Meta.fields,
            "config",
            "data_snapshot",
            "metrics",
            "fairness",
            "report",
            "gate",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField())
    def get_fairness(self, model) -> dict:
        return report.published_fairness(model)


class ActivateSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the model did not pass the promotion gate; kept in the access log.",
    )


class RiskModelViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """Registered risk models, newest first. ``activate`` makes one the active model (the one scoring
    youth); a model without a report, or one that failed the gate without a reason, answers 400."""

    queryset = RiskModel.objects.select_related("trained_by").defer("booster").order_by("-version")
    lookup_field = "version"
    lookup_value_regex = r"\d+"
    filterset_fields = ["status"]
    audit_object_type = "riskmodel"

    def get_permissions(self):
        if self.action == "activate":
            return [CanPromoteModels()]
        return [CanReadModelReports()]

    def get_serializer_class(self):
        if self.action in ("retrieve", "activate"):
            return RiskModelDetailSerializer
        return RiskModelSerializer

    @extend_schema(request=ActivateSerializer, responses=RiskModelDetailSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, version=None):
        """Make this model the active one; the previous active model is retired."""
        body = ActivateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        model = call_service(
            views.promote,
            model=self.get_object(),
            actor=Actor.from_request(request),
            override_reason=body.validated_data["override_reason"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=model.pk)).data)
