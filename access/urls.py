from django.urls import path

from .session_api import CheckAccessApi, LoginApi, LogoutApi, MeApi, RefreshApi, ValidateApi
from .token_api import TokenDetailApi, TokenListApi

urlpatterns = [
    path("tokens", TokenListApi.as_view(), name="token-list"),
    path("tokens/<str:token_id>", TokenDetailApi.as_view(), name="token-detail"),
    path("auth/login", LoginApi.as_view(), name="auth-login"),
    path("auth/refresh", RefreshApi.as_view(), name="auth-refresh"),
    path("auth/validate", ValidateApi.as_view(), name="auth-validate"),
    path("auth/check-access", CheckAccessApi.as_view(), name="auth-check-access"),
    path("auth/logout", LogoutApi.as_view(), name="auth-logout"),
    path("me", MeApi.as_view(), name="me"),
]
