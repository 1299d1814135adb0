"""Forms of the code-check site; the rules themselves live in services."""

from __future__ import annotations

from django import forms


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Python file",
        widget=forms.ClearableFileInput(attrs={"accept": ".py,text/x-python"}),
        help_text="A .py file in UTF-8.",
    )
