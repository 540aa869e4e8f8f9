"""Liaison meetings over the API: the meetings a user runs or takes part in, the agenda (for those who run
them), a bureau's pre-read pack, and action items. Querysets from ``policy`` (rule 21), writes through
``casework.meetings.services``; every read is logged."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.meetings import selectors, services
from casework.models import ActionItem, AuditAction, Bureau, Meeting, User


class UsesMeetings(BasePermission):
    def has_permission(self, request, view):
        return policy.can_use_meetings(request.user)


def _call(fn, **kwargs):
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise DRFValidationError(exc.messages) from exc


class MeetingSerializer(serializers.ModelSerializer):
    chair = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    invited_bureaus = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Bureau.objects.all()
    )
    invitees = serializers.SlugRelatedField(
        slug_field="username", many=True, queryset=User.objects.all(), required=False, write_only=True
    )

    class Meta:
        model = Meeting
        fields = ["id", "title", "starts_at", "status", "chair", "invited_bureaus", "invitees", "held_at"]
        read_only_fields = ["id", "status", "held_at"]


class AgendaItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.CharField()
    youth = serializers.CharField(allow_blank=True, help_text="Youth ID; empty for a general item.")
    summary = serializers.CharField()
    due = serializers.DateField(allow_null=True)
    bureaus = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField(allow_blank=True)
    decision = serializers.CharField(allow_blank=True)


class PackEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    source = serializers.CharField()
    code = serializers.CharField(allow_blank=True)
    event_date = serializers.DateField()


class PackCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead_bureau = serializers.CharField()
    status = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)


class PackEntrySerializer(serializers.Serializer):
    item = serializers.IntegerField()
    youth = serializers.CharField()
    kind = serializers.CharField(allow_blank=True, help_text="Empty where the participant may not read why.")
    summary = serializers.CharField(allow_blank=True)
    shared_until = serializers.DateTimeField(allow_null=True)
    events = PackEventSerializer(many=True)
    restricted_counts = serializers.DictField(child=serializers.IntegerField())
    cases = PackCaseSerializer(many=True)
    other_cases = serializers.ListField(child=serializers.CharField(), help_text="Lead bureau of each case.")


class ActionItemSerializer(serializers.ModelSerializer):
    meeting = serializers.PrimaryKeyRelatedField(read_only=True)
    owner_bureau = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner_user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    youth = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "meeting",
            "text",
            "owner_bureau",
            "owner_user",
            "due_on",
            "done_at",
            "done_note",
            "youth",
        ]
        read_only_fields = fields

    def get_youth(self, obj) -> str:
        user = self.context["request"].user
        if obj.item.youth_id and policy.action_item_youth_shown(user, obj):
            return obj.item.youth.public_id
        return ""


class DoneSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Meetings the user runs or takes part in. Scheduling (POST) proposes the agenda at once."""

    serializer_class = MeetingSerializer
    permission_classes = [UsesMeetings]

    def get_queryset(self):
        return (
            policy.visible_meetings(self.request.user)
            .select_related("chair")
            .prefetch_related("invited_bureaus")
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        count = response.data.get("count") if isinstance(response.data, dict) else len(response.data)
        record_list(Actor.from_request(request), "meeting", count=count or 0)
        return response

    def retrieve(self, request, *args, **kwargs):
        meeting = self.get_object()
        record(Actor.from_request(request), AuditAction.VIEW, meeting)
        return Response(self.get_serializer(meeting).data)

    def create(self, request, *args, **kwargs):
        if not policy.can_run_meetings(request.user):
            raise PermissionDenied
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        meeting = _call(services.schedule_meeting, actor=Actor.from_request(request), **body.validated_data)
        return Response(self.get_serializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AgendaItemSerializer(many=True))
    @action(detail=True, methods=["get"])
    def agenda(self, request, pk=None):
        """The agenda in order: for those who run meetings."""
        if not policy.can_run_meetings(request.user):
            raise PermissionDenied
        meeting = self.get_object()
        items = selectors.agenda(meeting)
        record(
            Actor.from_request(request),
            AuditAction.VIEW,
            meeting,
            detail={"agenda_youth": sorted({i.youth.public_id for i in items if i.youth_id})},
        )
        data = [
            {
                "id": i.pk,
                "position": i.position,
                "kind": i.kind,
                "youth": i.youth.public_id if i.youth_id else "",
                "summary": i.summary,
                "due": i.due,
                "bureaus": sorted(b.code for b in i.bureaus.all()),
                "note": i.note,
                "decision": i.decision,
            }
            for i in items
        ]
        return Response(AgendaItemSerializer(data, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("bureau", OpenApiTypes.STR, required=True, description="Bureau code")],
        responses=PackEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def pack(self, request, pk=None):
        """A bureau's pre-read pack, as the participant may see it (404 for a bureau that is not theirs)."""
        user = request.user
        meeting = self.get_object()
        bureau = Bureau.objects.filter(code=request.query_params.get("bureau", "")).first()
        if bureau is None or bureau.pk not in policy.pack_bureau_ids(user, meeting):
            raise NotFound
        actor = Actor.from_request(request)
        data = []
        for e in selectors.pack(user, meeting, bureau):
            record(
                actor,
                AuditAction.VIEW,
                e.item,
                detail={
                    "meeting": meeting.pk,
                    "pack": bureau.code,
                    "meeting_share": e.share.pk if e.share else None,
                },
            )
            line = policy.pack_item_line_shown(user, e.item, e.share)
            data.append(
                {
                    "item": e.item.pk,
                    "youth": e.item.youth.public_id,
                    "kind": e.item.kind if line else "",
                    "summary": e.item.summary if line else "",
                    "shared_until": e.share.expires_at if e.share else None,
                    "events": [
                        {"kind": ev.kind, "source": ev.source, "code": ev.code, "event_date": ev.event_date}
                        for ev in e.timeline.events
                    ],
                    "restricted_counts": e.timeline.restricted_counts,
                    "cases": [
                        {
                            "id": c.pk,
                            "lead_bureau": c.lead_bureau.code,
                            "status": c.status,
                            "summary": c.summary,
                        }
                        for c in e.cases
                    ],
                    "other_cases": [c.lead_bureau.code for c in e.other_cases],
                }
            )
        record_list(
            actor, "meetingpack", count=len(data), query={"meeting": meeting.pk, "bureau": bureau.code}
        )
        return Response(PackEntrySerializer(data, many=True).data)


class ActionItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Action items the user owns (everyone's, for those who run meetings)."""

    serializer_class = ActionItemSerializer
    permission_classes = [UsesMeetings]
    queryset = ActionItem.objects.none()

    def get_queryset(self):
        return policy.visible_action_items(self.request.user).select_related(
            "item__youth", "owner_bureau", "owner_user"
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        count = response.data.get("count") if isinstance(response.data, dict) else len(response.data)
        record_list(Actor.from_request(request), "actionitem", count=count or 0)
        return response

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        record(Actor.from_request(request), AuditAction.VIEW, obj, youth=obj.item.youth)
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=DoneSerializer, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        obj = self.get_object()
        body = DoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        obj = _call(
            services.complete_action_item,
            actor=Actor.from_request(request),
            action=obj,
            **body.validated_data,
        )
        return Response(self.get_serializer(obj).data)
