"""API representations of the casework record. Fairness-audit attributes appear in none of them."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.access import policy
from casework.cases.services import SUPERVISOR_MOVES, WORKER_MOVES
from casework.identifiers import NATIONAL_ID, normalise_identifier
from casework.models import (
    Alert,
    AlertRule,
    AuditEntry,
    Bureau,
    Case,
    ClosureReason,
    ConcernType,
    ConsentBasis,
    Event,
    EventKind,
    Intervention,
    InterventionKind,
    Notification,
    NotificationRead,
    Referral,
    ReferralKind,
    School,
    TriageDecision,
    TriageDecisionKind,
    TriageReason,
    Youth,
)


@extend_schema_field(OpenApiTypes.STR)
class ScopedSlugField(serializers.SlugRelatedField):
    """A related field whose choices are what the requesting user may see: unknown and unseen look alike."""

    def __init__(self, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    def __init__(self, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)


def _all_bureaus(user):
    return Bureau.objects.all()


def _assignable(user):
    return policy.assignable_users(user)


def _recipients(user):
    return policy.referral_recipients(user)


class BureauSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bureau
        fields = ["code", "kind", "name_zh", "name_en"]


class SchoolSerializer(serializers.ModelSerializer):
    bureau = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = School
        fields = ["code", "name_zh", "name_en", "district", "bureau"]


class YouthSerializer(serializers.ModelSerializer):
    national_id = serializers.CharField(source="masked_national_id", read_only=True)
    age = serializers.SerializerMethodField()

    class Meta:
        model = Youth
        fields = [
            "public_id",
            "name",
            "name_romanized",
            "birth_date",
            "age",
            "sex",
            "national_id",
            "district",
            "address",
        ]
        read_only_fields = fields

    def get_age(self, obj: Youth) -> int | None:
        return obj.age_on(timezone.localdate())


class NationalIdSearchSerializer(serializers.Serializer):
    national_id = serializers.CharField(
        max_length=16, help_text="One whole national ID: a letter and 9 digits."
    )

    def validate_national_id(self, value: str) -> str:
        value = normalise_identifier(value)
        if not NATIONAL_ID.fullmatch(value):
            raise serializers.ValidationError(_("Type a whole national ID: one letter and 9 digits."))
        return value


class IdentitySerializer(serializers.ModelSerializer):
    """What a data steward sees in the identity register: identity fields, nothing about events or cases."""

    class Meta:
        model = Youth
        fields = ["public_id", "name", "name_romanized", "birth_date", "sex", "national_id", "district"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    youth = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    owning_bureau = serializers.SlugRelatedField(slug_field="code", read_only=True)
    school = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "youth",
            "kind",
            "source",
            "code",
            "event_date",
            "knowledge_date",
            "owning_bureau",
            "school",
            "sensitivity",
            "details",
        ]
        read_only_fields = fields


class RestrictedCountSerializer(serializers.Serializer):
    source = serializers.CharField()
    count = serializers.IntegerField()


class TimelineSerializer(serializers.Serializer):
    youth = serializers.CharField()
    events = EventSerializer(many=True)
    restricted = RestrictedCountSerializer(
        many=True, help_text="Sources whose details the viewer may not read: only the number of records."
    )


class CaseSerializer(serializers.ModelSerializer):
    youth = ScopedSlugField(policy.visible_youth, slug_field="public_id")
    lead_bureau = ScopedSlugField(_all_bureaus, slug_field="code")
    assignee = ScopedSlugField(_assignable, slug_field="username", required=False, allow_null=True)
    opened_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    closure_requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    closure_approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    concern = serializers.ChoiceField(choices=ConcernType.choices)
    # Declared so that the schema says "" (no closure yet) is a value: read-only model fields lose allow_blank.
    closure_reason = serializers.ChoiceField(choices=ClosureReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "youth",
            "lead_bureau",
            "assignee",
            "status",
            "concern",
            "summary",
            "assessment",
            "plan",
            "opened_at",
            "opened_by",
            "monitoring_since",
            "closure_reason",
            "closure_note",
            "closure_requested_by",
            "closure_requested_at",
            "closure_approved_by",
            "closed_at",
            "version",
        ]
        read_only_fields = [
            "id", "status", "opened_at", "opened_by", "monitoring_since", "closure_reason", "closure_note",
            "closure_requested_by", "closure_requested_at", "closure_approved_by", "closed_at", "version",
        ]  # fmt: skip


class CaseUpdateSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(help_text="The case version you edited; stale edits get 409.")
    summary = serializers.CharField(required=False, allow_blank=True)
    assessment = serializers.CharField(required=False, allow_blank=True)
    plan = serializers.CharField(required=False, allow_blank=True)
    assignee = ScopedSlugField(_assignable, slug_field="username", required=False, allow_null=True)


class CaseMoveSerializer(serializers.Serializer):
    move = serializers.ChoiceField(
        choices=[(m, m) for m in WORKER_MOVES + SUPERVISOR_MOVES],
        help_text="A status transition; GET the case's available_moves to see which you may make now.",
    )
    expected_version = serializers.IntegerField(help_text="The case version you saw; stale moves get 409.")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    closure_reason = serializers.ChoiceField(
        choices=ClosureReason.choices, required=False, allow_blank=True, default=""
    )
    acknowledge_undone = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Approving a closure while planned services were never done: the approver acknowledges them.",
    )
    acknowledged_steps = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="With acknowledge_undone: the ids of the planned services never done that the approver read "
        "(GET the case's plan). A step added or left undone since refuses the approval.",
    )

    def validate(self, data):
        if data.get("acknowledge_undone") and "acknowledged_steps" not in data:
            raise serializers.ValidationError(
                {"acknowledged_steps": _("List the ids of the steps never done that you acknowledge.")}
            )
        return data


class InterventionSerializer(serializers.ModelSerializer):
    case = ScopedPrimaryKeyField(policy.visible_cases)
    worker = serializers.SlugRelatedField(slug_field="username", read_only=True)
    kind = serializers.ChoiceField(choices=InterventionKind.choices)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "case",
            "kind",
            "occurred_on",
            "duration_minutes",
            "worker",
            "notes",
            "outcome",
            "next_step",
            "next_due",
            "created_at",
        ]
        read_only_fields = ["id", "worker", "created_at"]


class AlertSerializer(serializers.ModelSerializer):
    youth = serializers.SlugRelatedField(slug_field="public_id", read_only=True)
    routed_to = serializers.SlugRelatedField(slug_field="code", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    rule_version = serializers.IntegerField(
        source="rule.version", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "youth",
            "reason",
            "rule_version",
            "routed_to",
            "status",
            "due_at",
            "is_overdue",
            "created_at",
            "acknowledged_by",
            "acknowledged_at",
            "escalated_at",
            "resolved_at",
        ]
        read_only_fields = fields


class AlertDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=TriageDecisionKind.choices)
    reason_code = serializers.ChoiceField(choices=TriageReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    concern = serializers.ChoiceField(
        choices=ConcernType.choices, required=False, allow_blank=True, default=""
    )
    assignee = ScopedSlugField(
        _assignable, slug_field="username", required=False, allow_null=True, default=None
    )
    to_bureau = ScopedSlugField(
        _all_bureaus, slug_field="code", required=False, allow_null=True, default=None
    )
    to_user = ScopedSlugField(
        _recipients, slug_field="username", required=False, allow_null=True, default=None
    )
    consent = serializers.ChoiceField(
        choices=ConsentBasis.choices, required=False, allow_blank=True, default=""
    )
    consent_note = serializers.CharField(required=False, allow_blank=True, default="")


class AlertRuleSerializer(serializers.ModelSerializer):
    # Blank for rules not triggered by an event: declared so that the schema allows "".
    event_kind = serializers.ChoiceField(choices=EventKind.choices, allow_blank=True, read_only=True)

    class Meta:
        model = AlertRule
        fields = [
            "id", "key", "version", "is_current", "enabled", "name_zh", "name_en", "duty_zh", "duty_en", "trigger",
            "event_kind", "event_codes", "bands", "route_to", "deadline_hours", "deadline_days", "lookback_days",
            "notify_referrer", "concern", "statutory_duty", "change_note", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    youth = serializers.SlugRelatedField(slug_field="public_id", read_only=True, allow_null=True)
    bureau = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    # When the person asking read it (each reads a bureau's message for themselves), never a colleague's time
    # (insider review 12).
    read_at = serializers.SerializerMethodField(allow_null=True)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_read_at(self, note: Notification) -> str | None:
        request = self.context.get("request")
        user_id = getattr(getattr(request, "user", None), "pk", None)
        read = NotificationRead.objects.filter(notification=note, user_id=user_id).values_list(
            "read_at", flat=True
        )
        first = read.first()
        return None if first is None else serializers.DateTimeField().to_representation(first)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "bureau",
            "youth",
            "alert",
            "case",
            "referral",
            "detail",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class ReferralSerializer(serializers.ModelSerializer):
    youth = ScopedSlugField(policy.visible_youth, slug_field="public_id")
    case = ScopedPrimaryKeyField(policy.visible_cases, required=False, allow_null=True)
    from_bureau = ScopedSlugField(_all_bureaus, slug_field="code")
    to_bureau = ScopedSlugField(_all_bureaus, slug_field="code")
    to_user = ScopedSlugField(_recipients, slug_field="username", required=False, allow_null=True)
    from_user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    kind = serializers.ChoiceField(choices=ReferralKind.choices, default=ReferralKind.REFERRAL)
    consent = serializers.ChoiceField(choices=ConsentBasis.choices)

    class Meta:
        model = Referral
        fields = [
            "id",
            "youth",
            "case",
            "kind",
            "from_bureau",
            "from_user",
            "to_bureau",
            "to_user",
            "status",
            "reason",
            "consent",
            "consent_note",
            "response_note",
            "created_at",
            "responded_at",
            "closed_note",
            "closed_at",
        ]
        read_only_fields = [
            "id", "from_user", "status", "response_note", "created_at", "responded_at", "closed_note", "closed_at",
        ]  # fmt: skip


class ReferralResponseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TriageDecisionSerializer(serializers.ModelSerializer):
    youth = ScopedSlugField(policy.visible_youth, slug_field="public_id")
    bureau = ScopedSlugField(_all_bureaus, slug_field="code")
    alert = ScopedPrimaryKeyField(policy.visible_alerts, required=False, allow_null=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decision = serializers.ChoiceField(choices=TriageDecisionKind.choices)

    class Meta:
        model = TriageDecision
        fields = [
            "id",
            "youth",
            "alert",
            "bureau",
            "decided_by",
            "decision",
            "reason_code",
            "note",
            "score",
            "band",
            "model_version",
            "is_override",
            "created_at",
        ]
        # The score, band and model version a decision is measured against come from the stored score on the
        # server (risk model issue), never from the client: otherwise an override could be hidden.
        read_only_fields = ["id", "decided_by", "score", "band", "model_version", "is_override", "created_at"]


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "username",
            "roles",
            "action",
            "object_type",
            "object_id",
            "youth_public_id",
            "path",
            "ip_address",
            "user_agent",
            "purpose",
            "detail",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.withheld:  # about a youth sealing left an empty shell (AuditEntry.shown_*)
            data.update(
                object_id="",
                path=instance.shown_path,
                purpose=instance.shown_purpose,
                detail=instance.shown_detail,
            )
        return data


class MembershipSerializer(serializers.Serializer):
    bureau = serializers.CharField(source="bureau.code")
    role = serializers.CharField()
    school = serializers.CharField(source="school.code", allow_null=True, default=None)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField(source="get_full_name")
    memberships = MembershipSerializer(many=True)
