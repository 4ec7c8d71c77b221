"""Errors of the staff API as JSON: field errors for what the models refuse, 413 past the size
limit of a JSON body."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, parsers
from rest_framework.views import exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "too_large"


def api_exception_handler(error, context):
    """DRF's handler, with the models' own ValidationError as a 400 of field errors."""
    if isinstance(error, DjangoValidationError):
        detail = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {"non_field_errors": error.messages}
        )
        error = exceptions.ValidationError(detail)
    elif isinstance(error, RequestDataTooBig):
        # Django read the body first (a middleware looked for form fields) and refused it.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        error = RequestTooLarge(f"The request body is past the limit of {limit:,} bytes.")
    return exception_handler(error, context)


class LimitedJSONParser(parsers.JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE, as Django limits form bodies."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise RequestTooLarge(
                    f"The request body is {length:,} bytes; the limit is {limit:,} bytes."
                )
        return super().parse(stream, media_type, parser_context)
