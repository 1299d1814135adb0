"""OpenAPI examples for the auth endpoints: what a client sends and gets back."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from core.services import EMAIL_TAKEN

EMAIL = "ada@example.com"
# Shortened tokens: real ones are JWTs several hundred characters long.
ACCESS = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl"
REFRESH = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl"

REGISTER = [
    OpenApiExample(
        "New account", value={"email": EMAIL, "password": "correct-Horse-battery-9"}, request_only=True
    ),
    OpenApiExample("Registered", value={"id": 42, "email": EMAIL}, response_only=True, status_codes=[201]),
    OpenApiExample("Email taken", value={"email": [EMAIL_TAKEN]}, response_only=True, status_codes=[400]),
    OpenApiExample(
        "Weak password",
        value={"password": ["This password is too common.", "This password is entirely numeric."]},
        response_only=True,
        status_codes=[400],
    ),
]

TOKEN = [
    OpenApiExample(
        "Log in", value={"email": EMAIL, "password": "correct-Horse-battery-9"}, request_only=True
    ),
    OpenApiExample("Tokens", value={"access": ACCESS, "refresh": REFRESH}, response_only=True),
    OpenApiExample(
        "Wrong credentials",
        value={"detail": "No active account found with the given credentials"},
        response_only=True,
        status_codes=[401],
    ),
]

TOKEN_REFRESH = [
    OpenApiExample("Refresh", value={"refresh": REFRESH}, request_only=True),
    OpenApiExample("New pair", value={"access": ACCESS, "refresh": REFRESH}, response_only=True),
    OpenApiExample(
        "Used or expired",
        value={"detail": "Token is blacklisted", "code": "token_not_valid"},
        response_only=True,
        status_codes=[401],
    ),
]

ME = [
    OpenApiExample(
        "The caller", value={"id": 42, "email": EMAIL, "date_joined": "2026-12-02T09:30:00.120000Z"}
    ),
]
