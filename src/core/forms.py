"""Forms of the account pages; the rules themselves live in core.services."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class RegisterForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_confirmation = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("password") and data.get("password") != data.get("password_confirmation"):
            self.add_error("password_confirmation", "The two passwords differ.")
        return data


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
