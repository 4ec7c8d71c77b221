"""The staff write API: records, texts, workflow, scans, accessions, donors, vocabulary terms.

Every write calls the operation the admin calls (catalogue.editing, catalogue.workflow,
scans.ingest), as the token's user, with that user's permissions. Nothing here sends CORS
headers: only the public reads may be read by other sites' pages.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accessions.catalogue.editing import (
    save_accession,
    save_record,
    save_record_text,
    save_shown_object,
)
from accessions.catalogue.models import Accession, Donor, Record, RecordText
from accessions.catalogue.parameters import INTEGER_LIMIT, PRIMARY_KEY_LIMIT
from accessions.catalogue.workflow import IncompleteRecord, WorkflowError, transition_record
from accessions.scans.ingest import ScanRejected, ingest_scan
from accessions.standards.api import shapes
from accessions.standards.api import staff_serializers as staff

VIEW = "%(app_label)s.view_%(model_name)s"
ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT, description="Field errors: {field: [messages]}, or `detail`."
    ),
    401: OpenApiResponse(shapes.ErrorSerializer, description="No token, or not a valid one."),
    403: OpenApiResponse(shapes.ErrorSerializer, description="The token's user may not."),
    404: OpenApiResponse(shapes.ErrorSerializer, description="No such object."),
    413: OpenApiResponse(shapes.ErrorSerializer, description="The body is too large."),
    415: OpenApiResponse(shapes.ErrorSerializer, description="The body is not JSON."),
    429: OpenApiResponse(shapes.ErrorSerializer, description="Past the token's rate limit."),
}


class StaffPermissions(DjangoModelPermissions):
    """The Django model permissions the admin checks, reads included."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW],
        "HEAD": [VIEW],
        "OPTIONS": [VIEW],
    }


class RecordChangePermissions(StaffPermissions):
    """A POST that changes an existing record (a transition, a scan) asks to change records."""

    perms_map = {**StaffPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class StaffPages(PageNumberPagination):
    page_size = 50


def _split(model: type[models.Model], data: dict) -> tuple[dict, dict]:
    """Plain field values and many-to-many values of validated data."""
    many = {field.name for field in model._meta.many_to_many}
    plain = {name: value for name, value in data.items() if name not in many}
    return plain, {name: value for name, value in data.items() if name in many}


def _apply(instance: models.Model, values: dict) -> models.Model:
    for name, value in values.items():
        setattr(instance, name, value)
    return instance


def _documented(serializer, *, create: bool = True, read: bool = True, edit: bool = True):
    """The response codes of a staff list/detail view pair, for the description."""
    operations = {}
    if create:
        operations["post"] = extend_schema(responses={201: serializer, **ERRORS})
    if read:
        operations["get"] = extend_schema(responses={200: serializer, **ERRORS})
    if edit:
        operations["patch"] = extend_schema(responses={200: serializer, **ERRORS})
    return extend_schema_view(**operations)


def _record_id(value: int) -> int:
    """A record ID from the URL; past what the database holds, no record has it."""
    if not 0 < value <= INTEGER_LIMIT:
        raise Http404("No record has this record ID.")
    return value


class StaffView:
    permission_classes = [StaffPermissions]
    http_method_names = ["get", "post", "patch", "head", "options"]


# Records ---------------------------------------------------------------------------------


@_documented(staff.StaffRecordSerializer, read=False, edit=False)
class RecordCreateView(StaffView, generics.CreateAPIView):
    """Create a draft record; it stays off every public surface until it is published."""

    queryset = Record.objects.all()
    serializer_class = staff.StaffRecordSerializer

    def perform_create(self, serializer):
        plain, many = _split(Record, serializer.validated_data)
        serializer.instance = save_record(
            record=Record(**plain), user=self.request.user, relations=many
        )


@_documented(staff.StaffRecordSerializer, create=False)
class RecordEditView(StaffView, generics.RetrieveUpdateAPIView):
    """A record of any status, as staff see it; PATCH changes the fields sent."""

    queryset = Record.objects.all()
    serializer_class = staff.StaffRecordSerializer
    lookup_field = "record_id"
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        _record_id(self.kwargs["record_id"])
        return super().get_object()

    def perform_update(self, serializer):
        plain, many = _split(Record, serializer.validated_data)
        save_record(
            record=_apply(serializer.instance, plain), user=self.request.user, relations=many
        )


class RecordChildView(StaffView):
    """A view under /records/<record_id>/: the record must exist, whatever its status."""

    def get_record(self) -> Record:
        return get_object_or_404(Record, record_id=_record_id(self.kwargs["record_id"]))


@_documented(staff.StaffTextSerializer, edit=False)
class TextListView(RecordChildView, generics.ListCreateAPIView):
    """A record's transcripts and translations; POST adds one."""

    serializer_class = staff.StaffTextSerializer
    queryset = RecordText.objects.none()

    def get_queryset(self):
        return self.get_record().texts.select_related("language")

    def perform_create(self, serializer):
        text = RecordText(record=self.get_record(), **serializer.validated_data)
        serializer.instance = save_record_text(text=text, user=self.request.user)


@_documented(staff.StaffTextSerializer, create=False)
class TextEditView(RecordChildView, generics.RetrieveUpdateAPIView):
    serializer_class = staff.StaffTextSerializer
    queryset = RecordText.objects.none()
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return self.get_record().texts.select_related("language")

    def get_object(self):
        if self.kwargs["pk"] > PRIMARY_KEY_LIMIT:
            raise Http404("No text has this id.")
        return super().get_object()

    def perform_update(self, serializer):
        save_record_text(
            text=_apply(serializer.instance, serializer.validated_data), user=self.request.user
        )


class TransitionView(RecordChildView, APIView):
    """Move a record through the workflow, as the admin's status buttons do."""

    queryset = Record.objects.all()
    permission_classes = [RecordChangePermissions]
    http_method_names = ["post", "options"]

    @extend_schema(
        request=staff.TransitionSerializer,
        responses={
            200: staff.StaffRecordSerializer,
            **ERRORS,
            409: OpenApiResponse(
                shapes.ErrorSerializer, description="Not possible from the record's status."
            ),
        },
    )
    def post(self, request, record_id: int):
        record = self.get_record()
        serializer = staff.TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            transition_record(record=record, user=request.user, **serializer.validated_data)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        except IncompleteRecord as error:
            return Response(
                {"detail": str(error), "missing": error.missing},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except WorkflowError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(staff.StaffRecordSerializer(record, context={"request": request}).data)


class ScanUploadView(RecordChildView, APIView):
    """Attach a scan to a record through the scans' own ingest: checked by its content,
    stored whole or not at all."""

    queryset = Record.objects.all()
    permission_classes = [RecordChangePermissions]
    parser_classes = [MultiPartParser]
    http_method_names = ["post", "options"]

    @extend_schema(
        request={"multipart/form-data": staff.ScanUploadSerializer},
        responses={201: staff.ScanSerializer, **ERRORS},
    )
    def post(self, request, record_id: int):
        # The admin's attach page asks for this besides changing the record.
        if not request.user.has_perm("accessions.add_scan"):
            raise exceptions.PermissionDenied("You do not have permission to attach scans.")
        record = self.get_record()
        serializer = staff.ScanUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            scan = ingest_scan(
                record=record,
                upload=upload,
                name=upload.name,
                kind=serializer.validated_data["kind"],
                label=serializer.validated_data["label"],
                user=request.user,
            )
        except ScanRejected as rejection:
            too_large = upload.size > settings.SCAN_MAX_BYTES
            return Response(
                {"file": [str(rejection)]},
                status=(
                    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
                    if too_large
                    else status.HTTP_400_BAD_REQUEST
                ),
            )
        return Response(staff.ScanSerializer(scan).data, status=status.HTTP_201_CREATED)


# Accessions, donors, vocabulary terms ---------------------------------------------------


@_documented(staff.StaffAccessionSerializer, edit=False)
class AccessionListView(StaffView, generics.ListCreateAPIView):
    queryset = Accession.objects.all()
    serializer_class = staff.StaffAccessionSerializer
    pagination_class = StaffPages

    def perform_create(self, serializer):
        plain, many = _split(Accession, serializer.validated_data)
        serializer.instance = save_accession(
            accession=Accession(**plain), user=self.request.user, donors=many.get("donors", [])
        )


@_documented(staff.StaffAccessionSerializer, create=False)
class AccessionEditView(StaffView, generics.RetrieveUpdateAPIView):
    queryset = Accession.objects.all()
    serializer_class = staff.StaffAccessionSerializer
    lookup_field = "number"
    http_method_names = ["get", "patch", "head", "options"]

    def perform_update(self, serializer):
        plain, many = _split(Accession, serializer.validated_data)
        save_accession(
            accession=_apply(serializer.instance, plain),
            user=self.request.user,
            donors=many.get("donors"),
        )


class ContactGuard:
    """Donors' contact details: neither shown to nor set by staff who may not see them."""

    def check_contact_fields(self, request):
        sent = set(staff.DONOR_CONTACT_FIELDS) & set(request.data)
        if sent and not request.user.has_perm("accessions.view_donor_contact"):
            raise exceptions.PermissionDenied(
                f"Only rights managers may set donors' contact details ({', '.join(sorted(sent))})."
            )


@_documented(staff.StaffDonorSerializer, edit=False)
class DonorListView(ContactGuard, StaffView, generics.ListCreateAPIView):
    queryset = Donor.objects.all()
    serializer_class = staff.StaffDonorSerializer
    pagination_class = StaffPages

    def perform_create(self, serializer):
        self.check_contact_fields(self.request)
        serializer.instance = save_shown_object(instance=Donor(**serializer.validated_data))


@_documented(staff.StaffDonorSerializer, create=False)
class DonorEditView(ContactGuard, StaffView, generics.RetrieveUpdateAPIView):
    queryset = Donor.objects.all()
    serializer_class = staff.StaffDonorSerializer
    lookup_field = "slug"
    http_method_names = ["get", "patch", "head", "options"]

    def perform_update(self, serializer):
        self.check_contact_fields(self.request)
        save_shown_object(
            instance=_apply(serializer.instance, serializer.validated_data),
            changed_fields=serializer.validated_data,
        )


def term_views(kind: str) -> tuple[type, type]:
    """The list/create and read/edit views of one vocabulary."""
    serializer_class = staff.TERM_SERIALIZERS[kind]
    model = serializer_class.Meta.model

    def perform_create(self, serializer):
        serializer.instance = save_shown_object(instance=model(**serializer.validated_data))

    def perform_update(self, serializer):
        save_shown_object(
            instance=_apply(serializer.instance, serializer.validated_data),
            changed_fields=serializer.validated_data,
        )

    common = {"queryset": model.objects.all(), "serializer_class": serializer_class}
    name = model.__name__
    listing = _documented(serializer_class, edit=False)(
        type(
            f"{name}ListView",
            (StaffView, generics.ListCreateAPIView),
            {**common, "pagination_class": StaffPages, "perform_create": perform_create},
        )
    )
    editing = _documented(serializer_class, create=False)(
        type(
            f"{name}EditView",
            (StaffView, generics.RetrieveUpdateAPIView),
            {
                **common,
                "lookup_field": "slug",
                "http_method_names": ["get", "patch", "head", "options"],
                "perform_update": perform_update,
            },
        )
    )
    return listing, editing
