from __future__ import annotations

from rest_framework import serializers

from core.models import User


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})


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
