"""API for the risk-model registry: models (read-only, with the report and the published fairness audit in the
detail), making a model that passed the gate the active one, and overriding the gate with two people (a model
steward proposes, a supervisor of the committee approves or rejects). Model stewards and supervisors only, as
the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from casework.access import policy
from casework.access.audit import Actor
from casework.api.views import AuditedListMixin, AuditedRetrieveMixin, call_service

from . import gate, promotion, report, views
from .models import PromotionOverride, RiskModel


class CanReadModelReports(BasePermission):
    def has_permission(self, request, view):
        return policy.can_read_model_reports(request.user)


class CanPromoteModels(BasePermission):
    def has_permission(self, request, view):
        return policy.can_promote_models(request.user)


class CanProposeOverride(BasePermission):
    def has_permission(self, request, view):
        return policy.can_promote_models(request.user) and policy.can_propose_model_override(request.user)


class CanDecideOverride(BasePermission):
    def has_permission(self, request, view):
        return policy.can_promote_models(request.user) and policy.can_decide_model_override(request.user)


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
        """Whether the current gate passed the model; null for a model judged by the earlier gate."""
        return gate.passed(model.gate) if gate.is_current(model.gate) else None

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


class OverrideSerializer(serializers.ModelSerializer):
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    model = serializers.SlugRelatedField(slug_field="version", read_only=True)

    class Meta:
        model = PromotionOverride
        fields = [
            "id",
            "model",
            "reason",
            "failed_checks",
            "proposed_by",
            "proposed_at",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class ProposeSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the model should be used although it failed the gate.")


class DecideSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


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
        if self.action == "propose_override":
            return [CanProposeOverride()]
        if self.action == "decide_override":
            return [CanDecideOverride()]
        return [CanReadModelReports()]

    def get_serializer_class(self):
        if self.action in ("retrieve", "activate"):
            return RiskModelDetailSerializer
        if self.action in ("propose_override", "decide_override"):
            return OverrideSerializer
        return RiskModelSerializer

    @extend_schema(request=None, responses=RiskModelDetailSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, version=None):
        """Make this model the active one; the previous active model is retired. Only a model that passed
        the gate: one that failed it takes a proposed and approved override (``overrides/``)."""
        model = call_service(views.promote, model=self.get_object(), actor=Actor.from_request(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=model.pk)).data)

    @extend_schema(request=ProposeSerializer, responses={201: OverrideSerializer})
    @action(detail=True, methods=["post"], url_path="overrides")
    def propose_override(self, request, version=None):
        """A model steward proposes to make this model active although it failed an overridable check of
        the gate, with a written reason; a supervisor of the committee decides."""
        body = ProposeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        override = call_service(
            promotion.propose_override,
            model=self.get_object(),
            actor=Actor.from_request(request),
            reason=body.validated_data["reason"],
        )
        return Response(OverrideSerializer(override).data, status=201)

    @extend_schema(
        request=DecideSerializer, responses=OverrideSerializer, operation_id="models_overrides_decide"
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"overrides/(?P<override_id>\d+)/(?P<decision>approve|reject)",
    )
    def decide_override(self, request, version=None, override_id=None, decision=None):
        """A supervisor of the committee, not the proposer, approves (the model becomes active) or rejects."""
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        model = self.get_object()
        override = model.overrides.filter(pk=override_id).first()
        if override is None:
            raise NotFound()
        service_fn = promotion.approve_override if decision == "approve" else promotion.reject_override
        call_service(
            service_fn, override=override, actor=Actor.from_request(request), note=body.validated_data["note"]
        )
        override.refresh_from_db()
        return Response(OverrideSerializer(override).data)
