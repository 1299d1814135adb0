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

from codecheck import examples, selectors, services
from codecheck.models import Check, CodeFile, FileStatus
from codecheck.serializers import CheckSerializer, CodeFileSerializer, CodeFileUploadSerializer
from core.exceptions import ApplicationError
from core.schema import error_response
from tasks_api.serializers import TaskSerializer

MAX_ID = 2**63 - 1
FILE_PROBLEM = error_response("No file, or not a UTF-8 .py file within the size limit.", fields=True)
DELETED = error_response("The file was deleted.")


class CodeFileFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FileStatus.choices)

    class Meta:
        model = CodeFile
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(
        summary="List your code files, newest change first",
        description=(
            "Deleted files are listed too, with `status: deleted`. Filter with `status`; "
            "`last_check` summarises each file's newest check."
        ),
        examples=examples.FILES,
    ),
    retrieve=extend_schema(
        summary="A code file with its newest check",
        description=(
            "`status` is `new` after the upload, `updated` after an overwrite, `checked` once the "
            "sweep has checked the current version, and `deleted` for good."
        ),
        examples=examples.FILE,
    ),
    destroy=extend_schema(
        summary="Delete a code file",
        description=(
            "Its source goes; the row and its checks stay, with `status: deleted`, and it is never "
            "checked again. Deleting it twice is fine."
        ),
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
        summary="Upload a .py file",
        description=(
            "Multipart with one `file`: a name ending in `.py`, UTF-8 text, at most "
            "`CODECHECK_MAX_BYTES` (1 MB by default). It answers 201 with `status: new`; the "
            "scheduled sweep runs flake8 on it and mails you the report."
        ),
        request=CodeFileUploadSerializer,
        responses={201: CodeFileSerializer, 400: FILE_PROBLEM},
        examples=examples.UPLOAD,
    )
    def create(self, request: Request) -> Response:
        code_file = services.codefile_create(owner=request.user, upload=self._upload(request))
        return Response(CodeFileSerializer(code_file).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Overwrite a code file with a new version",
        description=(
            "Same rules as the upload. The file takes the new name and source, its `version` rises "
            "by one and it becomes `updated`, so the next sweep checks it again. A deleted file: 409."
        ),
        request=CodeFileUploadSerializer,
        responses={200: CodeFileSerializer, 400: FILE_PROBLEM, 409: DELETED},
        examples=examples.OVERWRITE,
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        code_file = self.get_object()
        code_file = services.codefile_overwrite(code_file=code_file, upload=self._upload(request))
        return Response(CodeFileSerializer(code_file).data)

    def perform_destroy(self, instance: CodeFile) -> None:
        services.codefile_delete(code_file=instance)

    @extend_schema(
        summary="Check the file now, without waiting for the schedule",
        description=(
            "Answers with the check's task (kind `code_check`); follow it at the `Location` header. "
            "Requests that arrive before that check is written share its task."
        ),
        request=None,
        responses={202: TaskSerializer, 409: DELETED},
        examples=examples.CHECK_NOW,
    )
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str | None = None) -> Response:
        task = services.codefile_request_check(code_file=self.get_object())
        return Response(
            TaskSerializer(task).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/tasks/{task.id}/"},
        )

    @extend_schema(
        summary="Download a code file's current source",
        description="The file's text as uploaded (UTF-8), as an attachment named like the file.",
        examples=examples.SOURCE,
        responses={
            # Text, not binary: a client reads it as a string (it is UTF-8 by the upload's rules).
            (200, "text/x-python"): OpenApiResponse(OpenApiTypes.STR, description="The source."),
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
        summary="List the checks of your files, newest first",
        description=(
            "The report: each check with the file version it ran on, flake8's issues, how many are "
            "new or fixed since the file's previous check, and whether the report mail went out."
        ),
        parameters=[OpenApiParameter("file", OpenApiTypes.INT, description="Only this file's checks.")],
        examples=examples.CHECKS,
    ),
    retrieve=extend_schema(
        summary="A check: its issues and email mark",
        description="`email_sent` turns true once the mail server has accepted the report mail.",
        examples=examples.CHECKS,
    ),
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
