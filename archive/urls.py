from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from archive import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("", include("accessions.urls")),
    path("", include("accessions.standards.urls")),
]

# Pages get the site's 404 page; addresses under /api/ a JSON answer, as the API describes.
handler404 = "accessions.standards.api.views.not_found"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
