"""Namespace files, below `namespaces/<namespace>/` (kestra-api.md §8)."""

from django.urls import path

from . import file_api

urlpatterns = [
    path("files", file_api.NamespaceFileApi.as_view(), name="namespace-file"),
    path("files/directory", file_api.NamespaceDirectoryApi.as_view(), name="namespace-directory"),
    path("files/stats", file_api.NamespaceFileStatsApi.as_view(), name="namespace-file-stats"),
    path("files/export", file_api.NamespaceFileExportApi.as_view(), name="namespace-files-export"),
    path("files/search", file_api.NamespaceFileSearchApi.as_view(), name="namespace-file-search"),
    path("files/revisions", file_api.NamespaceFileRevisionsApi.as_view(), name="namespace-file-revisions"),
    path("files/restore", file_api.NamespaceFileRestoreApi.as_view(), name="namespace-file-restore"),
]
