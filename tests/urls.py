"""flowhub's routes plus views that exist for tests only: the errors no real view should ever produce.

Use with `@pytest.mark.urls("tests.urls")`. Django takes the error handlers from the root URLconf, so
flowhub's are re-exported here.
"""

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flowhub.urls import handler400, handler403, handler404, handler500

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def explode() -> None:
    raise RuntimeError(f"kaboom: the secret key is {settings.SECRET_KEY}")


class BoomApi(APIView):
    """A DRF view with a bug."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        explode()
        return Response()


class DatabaseDownApi(BoomApi):
    """A DRF view whose database refuses the connection: a 503, not a bug."""

    def get(self, request: Request) -> Response:
        raise OperationalError("connection refused")


def plain_boom(request: HttpRequest) -> HttpResponse:
    """A plain Django view with a bug."""
    explode()
    return HttpResponse()


@csrf_exempt
def plain_form(request: HttpRequest) -> HttpResponse:
    """A plain Django view that reads the form: Django's body limit and multipart parser act there."""
    return HttpResponse(str(len(request.POST)))


urlpatterns = [
    path("api/v1/test/boom", BoomApi.as_view()),
    path("api/v1/test/plain-boom", plain_boom),
    path("api/v1/test/plain-form", plain_form),
    path("api/v1/test/database-down", DatabaseDownApi.as_view()),
    path("test/plain-boom", plain_boom),
    path("", include("flowhub.urls")),
]
