"""Errors no view catches become problems: a database that refuses work is a 503 to retry, not a 500."""

from django.db import OperationalError
from rest_framework.test import APIRequestFactory

from flowhub.api.problems import problem_exception_handler


def test_a_database_that_refuses_a_connection_is_503_with_retry_after():
    request = APIRequestFactory().get("/api/v1/executions/x")
    error = OperationalError('connection to server at "127.0.0.1" failed: FATAL:  sorry, too many clients already')
    response = problem_exception_handler(error, {"request": request})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    body = response.data
    assert (body["type"], body["status"]) == ("service-unavailable", 503)
    assert "too many clients" not in body["detail"]  # the server's own words stay in its log
