"""Scan images, original downloads and IIIF manifests (names under the `accessions` namespace)."""

from django.urls import path

from accessions.scans import views

urlpatterns = [
    path("scans/page/<int:page_id>/<str:size>.jpg", views.scan_page_image, name="scan_page_image"),
    path("scans/original/<int:scan_id>/", views.scan_original, name="scan_original"),
    path("iiif/<int:record_id>/manifest.json", views.iiif_manifest, name="iiif_manifest"),
]
