from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.models import User


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})


class AccountDeleteSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True,
        max_length=128,
        style={"input_type": "password"},
        help_text="The account's current password, to confirm the deletion.",
    )

    def validate_password(self, value: str) -> str:
        if not self.context["user"].check_password(value):
            raise serializers.ValidationError("The password is wrong.")
        return value


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "date_joined"]
        read_only_fields = fields


class RegisteredUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email"]
        read_only_fields = fields


class TokenPairSerializer(serializers.Serializer):
    """What the token and refresh calls answer (refresh tokens rotate: both come back)."""

    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


# Refuses a refresh token issued before the user's password last changed. With
# CHECK_REVOKE_TOKEN simplejwt refuses such access tokens, but it would still trade the
# refresh token for new ones (which then fail): refuse the exchange itself. (A comment, not a
# docstring: the schema would show a docstring to API clients.)
@extend_schema_serializer(component_name="TokenRefresh")
class RevocableTokenRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        payload = self.token_class(attrs["refresh"]).payload
        claim = jwt_settings.REVOKE_TOKEN_CLAIM
        user = User.objects.filter(id=payload.get(jwt_settings.USER_ID_CLAIM)).first()
        if user is not None and payload.get(claim) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The password changed since this token was issued.", "token_revoked")
        return super().validate(attrs)
