"""The public rights-inquiry form of a record (names under the `accessions` namespace)."""

from django.urls import path

from accessions.inquiries import views

urlpatterns = [
    path(
        "document/<int:record_id>/rights-inquiry/",
        views.rights_inquiry,
        name="rights_inquiry",
    ),
    path(
        "document/<int:record_id>/rights-inquiry/sent/",
        views.rights_inquiry_sent,
        name="rights_inquiry_sent",
    ),
]
