import os

from django.core.asgi import get_asgi_application

from core.body_limit import RequestBodyLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

application = RequestBodyLimit(get_asgi_application())
