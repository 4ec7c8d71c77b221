"""The public pages of every concern, under the `accessions` URL namespace."""

from django.urls import include, path

app_name = "accessions"

urlpatterns = [
    path("", include("accessions.catalogue.urls")),
    path("", include("accessions.search.urls")),
    path("", include("accessions.inquiries.urls")),
    path("", include("accessions.transfer.urls")),
    path("", include("accessions.scans.urls")),
]
