from django.apps import AppConfig


class CodecheckConfig(AppConfig):
    name = "codecheck"
    verbose_name = "Code checks"
