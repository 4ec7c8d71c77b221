"""URLs of the staff write API, under /api/staff/."""

from django.urls import path

from accessions.standards.api import staff
from accessions.standards.api.staff_serializers import TERM_SERIALIZERS

urlpatterns = [
    path("records/", staff.RecordCreateView.as_view(), name="api_staff_records"),
    path("records/<int:record_id>/", staff.RecordEditView.as_view(), name="api_staff_record"),
    path(
        "records/<int:record_id>/texts/",
        staff.TextListView.as_view(),
        name="api_staff_texts",
    ),
    path(
        "records/<int:record_id>/texts/<int:pk>/",
        staff.TextEditView.as_view(),
        name="api_staff_text",
    ),
    path(
        "records/<int:record_id>/transition/",
        staff.TransitionView.as_view(),
        name="api_staff_transition",
    ),
    path(
        "records/<int:record_id>/scans/",
        staff.ScanUploadView.as_view(),
        name="api_staff_scans",
    ),
    path("accessions/", staff.AccessionListView.as_view(), name="api_staff_accessions"),
    path(
        "accessions/<str:number>/",
        staff.AccessionEditView.as_view(),
        name="api_staff_accession",
    ),
    path("donors/", staff.DonorListView.as_view(), name="api_staff_donors"),
    path("donors/<str:slug>/", staff.DonorEditView.as_view(), name="api_staff_donor"),
]
for kind in TERM_SERIALIZERS:
    listing, editing = staff.term_views(kind)
    urlpatterns += [
        path(f"terms/{kind}/", listing.as_view(), name=f"api_staff_terms_{kind}"),
        path(f"terms/{kind}/<str:slug>/", editing.as_view(), name=f"api_staff_term_{kind}"),
    ]
