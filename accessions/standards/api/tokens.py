"""Issuing, revoking and checking staff API tokens, and the rate limit per token."""

import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import SimpleRateThrottle

from accessions.standards.api.models import ApiToken

KEYWORDS = (b"token", b"bearer")


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(*, user, name: str) -> tuple[ApiToken, str]:
    """Make a token for a user; return it with its text, which is shown this once only."""
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken(user=user, name=name, prefix=raw[:8], digest=token_digest(raw))
        token.full_clean()
        token.save()
    return token, raw


def revoke_tokens(*, queryset) -> int:
    """Revoke tokens at once: the next request sent with one of them is refused."""
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Token <text>` (or `Bearer`): an active token of an active staff user."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the header as “Authorization: Token <token>”.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("This token is not valid.") from None
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(raw), revoked_at__isnull=True)
            .first()
        )
        # Checked on every request, so that revoking a token or deactivating its user
        # takes effect at once.
        if token is None or not (token.user.is_active and token.user.is_staff):
            raise AuthenticationFailed("This token is not valid, or has been revoked.")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request):
        return "Token"


class TokenRateThrottle(SimpleRateThrottle):
    """At most ARCHIVE_API_TOKEN_RATE requests per token (e.g. "120/minute")."""

    scope = "api_token"

    def get_rate(self):
        return settings.API_TOKEN_RATE

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class TokenScheme(OpenApiAuthenticationExtension):
    """TokenAuthentication in the OpenAPI description (drf-spectacular finds it by its class)."""

    target_class = TokenAuthentication
    name = "staffToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "“Token ” followed by a staff API token made in the admin.",
        }
