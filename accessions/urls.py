from django.urls import path

from accessions import search_views, views
from accessions.inquiries import views as inquiry_views

app_name = "accessions"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_views.search, name="search"),
    path("document/<int:record_id>/", views.record_detail, name="record_detail"),
    path(
        "document/<int:record_id>/rights-inquiry/",
        inquiry_views.rights_inquiry,
        name="rights_inquiry",
    ),
    path(
        "document/<int:record_id>/rights-inquiry/sent/",
        inquiry_views.rights_inquiry_sent,
        name="rights_inquiry_sent",
    ),
    path("collections/", views.collection_list, name="collection_list"),
    path("collections/<str:slug>/", views.collection_detail, name="collection_detail"),
]

from accessions.export_views import urlpatterns as export_urlpatterns  # noqa: E402

urlpatterns += export_urlpatterns
