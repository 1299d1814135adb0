"""Writes of the core app: user registration."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

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
