"""`Authorization: Token <secret>` against hashed API tokens (api/services.py)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .services import token_authenticate


class HashedTokenAuthentication(BaseAuthentication):
    """DRF's TokenAuthentication header form, looked up by digest; the user gets their scope."""

    keyword = "Token"

    def authenticate(self, request):
        try:
            parts = get_authorization_header(request).split()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确")) from None
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确"))
        try:
            raw = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确")) from None
        token = token_authenticate(raw)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效、已过期或已吊销"))
        return token.user, token

    def authenticate_header(self, request):
        # Makes an anonymous call a 401 with WWW-Authenticate, not a 403.
        return self.keyword
