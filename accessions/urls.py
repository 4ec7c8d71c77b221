from django.urls import path

from accessions import search_views, views
from accessions.inquiries import views as inquiry_views

app_name = "accessions"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_views.search, name="search"),
    path("search/filters/<str:param>/", search_views.search_facet, name="search_facet"),
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

from accessions import scan_views  # noqa: E402  (scans: images, downloads, IIIF)

urlpatterns += [
    path(
        "scans/page/<int:page_id>/<str:size>.jpg",
        scan_views.scan_page_image,
        name="scan_page_image",
    ),
    path("scans/original/<int:scan_id>/", scan_views.scan_original, name="scan_original"),
    path("iiif/<int:record_id>/manifest.json", scan_views.iiif_manifest, name="iiif_manifest"),
]
