"""The code-check API: files (upload, overwrite, delete, check now, source) and their checks."""

from __future__ import annotations

import django_filters
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from codecheck import selectors, services
from codecheck.models import Check, CodeFile, FileStatus
from codecheck.serializers import CheckSerializer, CodeFileSerializer, CodeFileUploadSerializer
from core.exceptions import ApplicationError

MAX_ID = 2**63 - 1
FILE_PROBLEM = OpenApiResponse(description="No file, or not a UTF-8 .py file within the size limit.")
DELETED = OpenApiResponse(description="The file was deleted.")


class CodeFileFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FileStatus.choices)

    class Meta:
        model = CodeFile
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="The caller's code files, newest change first (deleted ones too)"),
    retrieve=extend_schema(summary="A code file with its newest check"),
    destroy=extend_schema(
        summary="Delete a file: its source goes, the row stays as `deleted` and is never checked again"
    ),
)
class CodeFileViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = CodeFileSerializer
    filterset_class = CodeFileFilter
    queryset = CodeFile.objects.none()
    lookup_value_converter = "int"
    # Every body here is a file upload (POST and PUT); the other calls take none.
    parser_classes = [MultiPartParser]
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CodeFile.objects.none()
        return selectors.codefile_list(owner=self.request.user)

    def get_serializer_class(self):
        # The browsable API builds its POST and PUT forms from this: offer the file field.
        if self.request is not None and self.request.method in ("POST", "PUT") and self.action != "check":
            return CodeFileUploadSerializer
        return CodeFileSerializer

    def get_object(self) -> CodeFile:
        return selectors.codefile_get(owner=self.request.user, file_id=self.kwargs["pk"])

    def _upload(self, request: Request):
        serializer = CodeFileUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["file"]

    @extend_schema(
        summary="Upload a .py file; it is checked at the next sweep",
        request=CodeFileUploadSerializer,
        responses={201: CodeFileSerializer, 400: FILE_PROBLEM},
    )
    def create(self, request: Request) -> Response:
        code_file = services.codefile_create(owner=request.user, upload=self._upload(request))
        return Response(CodeFileSerializer(code_file).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Overwrite a file with a new version; it becomes `updated` and is checked again",
        request=CodeFileUploadSerializer,
        responses={200: CodeFileSerializer, 400: FILE_PROBLEM, 409: DELETED},
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        code_file = self.get_object()
        code_file = services.codefile_overwrite(code_file=code_file, upload=self._upload(request))
        return Response(CodeFileSerializer(code_file).data)

    def perform_destroy(self, instance: CodeFile) -> None:
        services.codefile_delete(code_file=instance)

    @extend_schema(
        summary="Check the file now, without waiting for the schedule",
        request=None,
        responses={202: CodeFileSerializer, 409: DELETED},
    )
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str | None = None) -> Response:
        code_file = services.codefile_request_check(code_file=self.get_object())
        return Response(CodeFileSerializer(code_file).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Download the current source",
        responses={
            (200, "text/x-python"): OpenApiResponse(OpenApiTypes.BINARY, description="The source."),
            409: DELETED,
        },
    )
    @action(detail=True, methods=["get"])
    def source(self, request: Request, pk: str | None = None) -> HttpResponse:
        code_file = self.get_object()
        services.refuse_if_deleted(code_file)
        response = HttpResponse(code_file.content, content_type="text/x-python; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, code_file.name)
        return response


@extend_schema_view(
    list=extend_schema(
        summary="Checks of the caller's files, newest first, with their issues and email marks",
        parameters=[OpenApiParameter("file", OpenApiTypes.INT, description="Only this file's checks.")],
    ),
    retrieve=extend_schema(summary="One check: its issues and email mark"),
)
class CheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CheckSerializer
    queryset = Check.objects.none()
    lookup_value_converter = "int"
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Check.objects.none()
        return selectors.check_list(owner=self.request.user, file_id=self._file_param())

    def _file_param(self) -> int | None:
        value = self.request.query_params.get("file", "").strip()
        if not value:
            return None
        # Beyond a 64-bit id the database cannot compare (SQLite raises): no file has such an id.
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
            raise ApplicationError("`file` must be a file id (a whole number).")
        return int(value)
