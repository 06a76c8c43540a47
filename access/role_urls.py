from django.urls import path

from .role_api import RoleBindingDetailApi, RoleBindingListApi

urlpatterns = [
    path("roles", RoleBindingListApi.as_view(), name="role-binding-list"),
    path("roles/<int:binding_id>", RoleBindingDetailApi.as_view(), name="role-binding-detail"),
]
