from django.urls import path

from . import api

# `kv/inheritance` before `kv/<key>`: as in Kestra, the word is not read as a key.
urlpatterns = [
    path("kv", api.KVSearchApi.as_view(), name="kv-search"),
    path("namespaces/<str:namespace>/kv", api.KVListApi.as_view(), name="kv-list"),
    path("namespaces/<str:namespace>/kv/inheritance", api.KVInheritanceApi.as_view(), name="kv-inheritance"),
    path("namespaces/<str:namespace>/kv/<str:key>", api.KVDetailApi.as_view(), name="kv-detail"),
]
