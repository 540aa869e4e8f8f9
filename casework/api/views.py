"""REST API for the casework record. Thin: querysets come from ``policy``, writes go to ``services``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.access.services import record_youth_view
from casework.api.serializers import (
    AlertDecisionSerializer,
    AlertRuleSerializer,
    AlertSerializer,
    AuditEntrySerializer,
    BureauSerializer,
    CaseMoveSerializer,
    CaseSerializer,
    CaseUpdateSerializer,
    EventSerializer,
    IdentitySerializer,
    InterventionSerializer,
    MeSerializer,
    NationalIdSearchSerializer,
    NotificationSerializer,
    ReferralResponseSerializer,
    ReferralSerializer,
    SchoolSerializer,
    TimelineSerializer,
    TriageDecisionSerializer,
    YouthSerializer,
)
from casework.cases import services as case_services
from casework.cases.conflicts import conflict_payload
from casework.filters import (
    AlertFilter,
    AuditEntryFilter,
    CaseFilter,
    InterventionFilter,
    ReferralFilter,
    YouthFilter,
    with_national_id,
)
from casework.models import AlertRule, AuditAction, Bureau, Case, School, Youth
from casework.triage import services as triage_services


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail=None, code=None):
        if isinstance(detail, dict):  # a structured body (conflicts.conflict_payload), kept as it is typed
            self.detail = detail
        else:
            super().__init__(detail, code)


def call_service(fn, *, conflict_on: Case | None = None, moving: bool = False, **kwargs):
    """Run a service, turning its validation errors into API errors (409 for edit conflicts). With
    ``conflict_on``, a 409 names who changed that case and when, and the version to edit against."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        if getattr(exc, "code", None) == "conflict":
            if conflict_on is not None:
                viewer = getattr(kwargs.get("actor"), "user", None)
                raise Conflict(conflict_payload(conflict_on, viewer, moved=moving)) from exc
            raise Conflict(exc.messages[0]) from exc
        raise DRFValidationError(exc.messages) from exc


class IsCaseworker(BasePermission):
    def has_permission(self, request, view):
        return policy.is_caseworker(request.user)


class IsAuditor(BasePermission):
    def has_permission(self, request, view):
        return policy.can_read_audit_log(request.user)


class IsDataSteward(BasePermission):
    def has_permission(self, request, view):
        return policy.can_use_identity_register(request.user)


class AuditedListMixin:
    """Logs every list or search: who asked what, and how many rows came back."""

    audit_object_type = ""

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        count = response.data.get("count") if isinstance(response.data, dict) else len(response.data)
        record_list(
            Actor.from_request(request),
            self.audit_object_type,
            count=count or 0,
            query={k: v.replace("\x00", "") for k, v in request.query_params.items() if k != "page"},
        )
        return response


class AuditedRetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        youth = instance if isinstance(instance, Youth) else getattr(instance, "youth", None)
        if isinstance(youth, Youth):
            # While a stated purpose lets the user in (rule 17), the log row carries it, for the reviewer.
            record_youth_view(Actor.from_request(request), instance, youth)
        else:
            record(Actor.from_request(request), AuditAction.VIEW, instance)
        return Response(self.get_serializer(instance).data)


class NationalIdSearchMixin:
    """``POST …/search/`` with ``{"national_id": …}``: the rows with exactly that national ID. The list's
    ``?q=`` does not search national IDs, so that one never sits in a URL (browser history, server logs)."""

    @extend_schema(request=NationalIdSearchSerializer)
    @action(detail=False, methods=["post"])
    def search(self, request):
        body = NationalIdSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        national_id = body.validated_data["national_id"]
        rows = with_national_id(self.filter_queryset(self.get_queryset()), national_id)
        page = self.paginate_queryset(rows)
        data = self.get_serializer(page, many=True).data
        record_list(
            Actor.from_request(request),
            self.audit_object_type,
            count=self.paginator.page.paginator.count,
            query={"national_id": national_id},
        )
        return self.get_paginated_response(data)


class YouthViewSet(
    NationalIdSearchMixin, AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet
):
    """Youth the user has a need-to-know reason to see. Others answer 404."""

    serializer_class = YouthSerializer
    permission_classes = [IsCaseworker]
    lookup_field = "public_id"
    filterset_class = YouthFilter
    audit_object_type = "youth"

    def get_queryset(self):
        return policy.visible_youth(self.request.user).order_by("public_id")

    @extend_schema(responses=TimelineSerializer)
    @action(detail=True)
    def timeline(self, request, public_id=None):
        """The youth's timeline: full details from readable sources, counts only from the others."""
        youth = self.get_object()
        timeline = policy.timeline_for(request.user, youth)
        record_youth_view(Actor.from_request(request), youth, youth, part="timeline")
        data = {
            "youth": youth.public_id,
            "events": timeline.events,
            "restricted": [{"source": s, "count": n} for s, n in timeline.restricted_counts.items()],
        }
        return Response(TimelineSerializer(data).data)


class IdentityRegisterViewSet(
    NationalIdSearchMixin, AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet
):
    """Identity fields of every youth, for data stewards resolving record matches."""

    serializer_class = IdentitySerializer
    permission_classes = [IsDataSteward]
    lookup_field = "public_id"
    filterset_class = YouthFilter
    audit_object_type = "identity"

    def get_queryset(self):
        return policy.identity_register(self.request.user).order_by("public_id")


class EventViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """Events the user may read in full. Sealed records are never listed."""

    serializer_class = EventSerializer
    permission_classes = [IsCaseworker]
    filterset_fields = ["kind", "source"]
    audit_object_type = "event"

    def get_queryset(self):
        return policy.visible_events(self.request.user).select_related("youth", "owning_bureau", "school")


class CaseViewSet(
    AuditedListMixin,
    AuditedRetrieveMixin,
    mixins.CreateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    serializer_class = CaseSerializer
    permission_classes = [IsCaseworker]
    filterset_class = CaseFilter
    audit_object_type = "case"

    def get_queryset(self):
        return policy.visible_cases(self.request.user).select_related(
            "youth", "lead_bureau", "assignee", "opened_by"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = call_service(
            case_services.open_case,
            actor=Actor.from_request(self.request),
            youth=data["youth"],
            lead_bureau=data["lead_bureau"],
            concern=data["concern"],
            summary=data.get("summary", ""),
            assignee=data.get("assignee"),
        )

    @extend_schema(request=CaseUpdateSerializer, responses=CaseSerializer)
    def partial_update(self, request, *args, **kwargs):
        case = self.get_object()
        body = CaseUpdateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        changes = {k: v for k, v in body.validated_data.items() if k != "expected_version"}
        updated = call_service(
            case_services.update_case,
            conflict_on=case,
            actor=Actor.from_request(request),
            case=case,
            expected_version=body.validated_data["expected_version"],
            **changes,
        )
        return Response(CaseSerializer(updated, context=self.get_serializer_context()).data)

    @extend_schema(request=CaseMoveSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the case along its statuses (assessment, planning, ... closure request, approval)."""
        case = self.get_object()
        body = CaseMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        moved = call_service(
            case_services.move_case,
            conflict_on=case,
            moving=True,
            actor=Actor.from_request(request),
            case=case,
            **body.validated_data,
        )
        return Response(CaseSerializer(moved, context=self.get_serializer_context()).data)


class InterventionViewSet(
    AuditedListMixin, AuditedRetrieveMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = InterventionSerializer
    permission_classes = [IsCaseworker]
    filterset_class = InterventionFilter
    audit_object_type = "intervention"

    def get_queryset(self):
        return policy.visible_interventions(self.request.user).select_related("case", "worker")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = call_service(
            case_services.log_intervention, actor=Actor.from_request(self.request), **data
        )


class AlertViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AlertSerializer
    permission_classes = [IsCaseworker]
    filterset_class = AlertFilter
    audit_object_type = "alert"

    def get_queryset(self):
        return policy.visible_alerts(self.request.user).select_related(
            "youth", "routed_to", "acknowledged_by"
        )

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = self.get_object()
        alert = call_service(
            triage_services.acknowledge_alert, actor=Actor.from_request(request), alert=alert
        )
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=AlertDecisionSerializer, responses={201: TriageDecisionSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Triage the alert: open a case, monitor, refer, or no action; resolves it and records any override."""
        alert = self.get_object()
        body = AlertDecisionSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        row = call_service(
            triage_services.decide_alert,
            actor=Actor.from_request(request),
            alert=alert,
            **body.validated_data,
        )
        return Response(
            TriageDecisionSerializer(row, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class ReferralViewSet(
    AuditedListMixin, AuditedRetrieveMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = ReferralSerializer
    permission_classes = [IsCaseworker]
    filterset_class = ReferralFilter
    audit_object_type = "referral"

    def get_queryset(self):
        return policy.visible_referrals(self.request.user).select_related(
            "youth", "from_bureau", "to_bureau", "from_user", "to_user"
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = call_service(
            case_services.refer, actor=Actor.from_request(self.request), **data
        )

    def _respond(self, request, accept: bool):
        referral = self.get_object()
        body = ReferralResponseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        referral = call_service(
            case_services.respond_to_referral,
            actor=Actor.from_request(request),
            referral=referral,
            accept=accept,
            note=body.validated_data["note"],
        )
        return Response(ReferralSerializer(referral, context=self.get_serializer_context()).data)

    @extend_schema(request=ReferralResponseSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._respond(request, accept=True)

    @extend_schema(request=ReferralResponseSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._respond(request, accept=False)

    def _close(self, request, fn):
        referral = self.get_object()
        body = ReferralResponseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        referral = call_service(
            fn, actor=Actor.from_request(request), referral=referral, note=body.validated_data["note"]
        )
        referral.refresh_from_db()
        return Response(ReferralSerializer(referral, context=self.get_serializer_context()).data)

    @extend_schema(request=ReferralResponseSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._close(request, case_services.complete_referral)

    @extend_schema(request=ReferralResponseSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return self._close(request, case_services.revoke_referral)


class TriageDecisionViewSet(
    AuditedListMixin, AuditedRetrieveMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = TriageDecisionSerializer
    permission_classes = [IsCaseworker]
    filterset_fields = ["decision", "is_override"]
    audit_object_type = "triagedecision"

    def get_queryset(self):
        return policy.visible_triage_decisions(self.request.user).select_related(
            "youth", "bureau", "decided_by"
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if data.get("alert") is not None:
            raise DRFValidationError({"alert": "Decide an alert with POST /api/alerts/{id}/decide/."})
        # The service measures the decision against the stored score, never the client's.
        serializer.instance = call_service(
            triage_services.record_triage_decision, actor=Actor.from_request(self.request), **data
        )


class AuditEntryViewSet(AuditedListMixin, AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """The access log, for auditors. Reading the log is itself logged."""

    serializer_class = AuditEntrySerializer
    permission_classes = [IsAuditor]
    filterset_class = AuditEntryFilter
    audit_object_type = "auditentry"

    def get_queryset(self):
        return policy.visible_audit_entries(self.request.user)

    def list(self, request, *args, **kwargs):
        # An auditor's question must be answered as asked: a filter the log does not know (``?user=`` for
        # ``?username=``) would otherwise be ignored and answered with every entry, as if they were the ones asked
        # for. Refused instead, naming the filters there are.
        known = set(AuditEntryFilter.base_filters) | {"page", "format"}
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise DRFValidationError(
                {
                    name: [
                        _("The access log has no filter called %(name)s. Its filters: %(known)s.")
                        % {"name": name, "known": ", ".join(sorted(AuditEntryFilter.base_filters))}
                    ]
                    for name in unknown
                }
            )
        return super().list(request, *args, **kwargs)


class BureauViewSet(viewsets.ReadOnlyModelViewSet):
    """The directory of bureaus (needed to route referrals); holds no personal data."""

    serializer_class = BureauSerializer
    queryset = Bureau.objects.all()
    lookup_field = "code"
    pagination_class = None


class SchoolViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SchoolSerializer
    queryset = School.objects.select_related("bureau")
    lookup_field = "code"
    filterset_fields = ["district"]


class MeView(GenericAPIView):
    """The signed-in user and their memberships."""

    serializer_class = MeSerializer

    def get(self, request):
        user = request.user
        data = {
            "username": user.get_username(),
            "get_full_name": user.get_full_name(),
            "memberships": list(user.memberships.filter(active=True).select_related("bureau", "school")),
        }
        return Response(MeSerializer(data).data)


def exception_handler(exc, context):
    """DRF's handler, in the reader's language, plus a line in the access log for every refused request.

    Two of DRF's answers would reach the reader in English whatever their language, and say too much: a
    missing object's 404 names the model ("No ReviewPair matches the given query.", Django's untranslated
    text), and a body that is not JSON quotes Python's parser. Both are said in the reader's words instead; the
    rest of DRF's messages are translated in the project's catalogue (``locale/``)."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, exceptions.ParseError) and str(exc.detail).startswith("JSON parse error"):
        exc = exceptions.ParseError(_("The request body is not valid JSON."))
    response = drf_exception_handler(exc, context)
    request = context.get("request")
    if response is None or request is None:
        return response
    refused = response.status_code in (401, 403, 404)
    # A write naming an object the user may not see answers 400, like a missing one: log those too, so
    # auditors can spot someone probing for records.
    rejected_write = response.status_code == 400 and request.method in ("POST", "PATCH", "PUT")
    if refused or rejected_write:
        detail = {"path": request.path, "status": response.status_code}
        if rejected_write and isinstance(response.data, dict):
            detail["fields"] = sorted(response.data)
        record(Actor.from_request(request), AuditAction.DENIED, detail=detail)
    return response


class AlertRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The focal-linkage rules in force (and their earlier versions): what raises an alert, for whom, by when."""

    serializer_class = AlertRuleSerializer
    filterset_fields = ["key", "is_current"]
    pagination_class = None

    def get_queryset(self):
        if not policy.can_read_alert_rules(self.request.user):
            return AlertRule.objects.none()
        return AlertRule.objects.order_by("key", "-version")


class NotificationViewSet(AuditedListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in user's inbox: messages to them and to their bureaus. Messages name youth, alerts, cases
    and referrals, so reading them is logged like every other list."""

    serializer_class = NotificationSerializer
    filterset_fields = ["kind"]
    audit_object_type = "notification"

    def get_queryset(self):
        return policy.visible_notifications(self.request.user).select_related("youth", "bureau")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one message read."""
        note = self.get_object()
        call_service(
            case_services.mark_notification_read, actor=Actor.from_request(request), notification=note
        )
        note.refresh_from_db()
        return Response(NotificationSerializer(note).data)
