"""Requests no page can answer are refused with 400 before any view or template reads them."""

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpResponseBadRequest, JsonResponse
from django.middleware.common import CommonMiddleware

SAFE_METHODS = ("GET", "HEAD")


def _bad_request(request, message: str) -> HttpResponseBadRequest | JsonResponse:
    if request.path_info.startswith("/api/"):
        # The API answers every error as JSON, as its description says.
        return JsonResponse({"detail": f"Bad request: {message}"}, status=400)
    # Plain text on purpose: the site's templates read the query string, which is the very
    # thing that cannot be read here.
    return HttpResponseBadRequest(
        f"Bad request: {message}\n", content_type="text/plain; charset=utf-8"
    )


class RefuseUnreadableRequestsMiddleware:
    """Answer 400 with a message to a request whose path or parameters cannot be used.

    Django raises when a template, an error page or its debug page reads parameters that it
    refused to parse (over DATA_UPLOAD_MAX_NUMBER_FIELDS, a form body not in UTF-8), and
    PostgreSQL cannot store or compare text holding NUL. Reading them once here, first,
    turns each of these into one answer instead of a server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            parameters = list(request.GET.lists())
            if request.method == "POST":
                parameters += list(request.POST.lists())
        except (SuspiciousOperation, BadRequest) as error:
            return _bad_request(request, str(error) or "the parameters could not be read.")
        if "\x00" in request.path:
            return _bad_request(request, "the address holds a null character.")
        for name, values in parameters:
            if "\x00" in name or any("\x00" in value for value in values):
                return _bad_request(request, "a parameter holds a null character.")
        return self.get_response(request)


class SlashRedirectMiddleware(CommonMiddleware):
    """CommonMiddleware that adds a missing slash by redirecting GET and HEAD only.

    A redirect cannot carry a POST, PUT or DELETE body, so those get the 404 of the URL as
    written; Django's own middleware raises a server error for them when DEBUG is on.
    """

    def should_redirect_with_slash(self, request):
        return request.method in SAFE_METHODS and super().should_redirect_with_slash(request)
