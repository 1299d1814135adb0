"""Writes of the core app: user registration, and clearing out expired refresh tokens."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from core.models import User

EMAIL_TAKEN = "A user with this email already exists."


@transaction.atomic
def user_register(*, email: str, password: str) -> User:
    """Create a user; field errors come back as a Django ValidationError keyed by field."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": [EMAIL_TAKEN]})
    try:
        password_validation.validate_password(password, user=User(email=email))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ValidationError({"email": [EMAIL_TAKEN]}) from exc


def tokens_flush_expired() -> int:
    """Delete refresh tokens past their expiry, and their blacklist entries; returns how many.

    Every log-in and refresh records a token (rotation and blacklisting need them), so
    without this the tables only grow. An expired token is refused on its expiry alone.
    """
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
