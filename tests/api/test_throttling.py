"""Rate limits: per caller on the API, per key on webhooks, per address and name on login (flowhub/api/throttles.py).

Each test sets the limits it is about (tests/settings.py sets limits no other test reaches) and starts
from an empty cache. The clock is moved by replacing `time.time`, never by sleeping.
"""

import time
import uuid

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from access.models import ApiToken
from flowhub.api.throttles import ApiThrottle, LoginThrottle
from flowhub.env import parse_rate
from tests import services

from .clients import basic, member
from .helpers import assert_problem

SEARCH = "/api/v1/flows/search"
MISSING_FLOW = "/api/v1/flows/acme/missing"
HOOK = "/api/v1/executions/webhook/acme/orders/{key}"


class LoginProbe(APIView):
    """Stands where `POST /auth/login` will, with the throttles it is to use."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ApiThrottle, LoginThrottle]

    def post(self, request):
        return Response(status=204)


urlpatterns = [path("login-probe", LoginProbe.as_view()), path("", include("flowhub.urls"))]


@pytest.fixture
def limits(settings):
    """Set limits, with every count starting from zero."""
    cache.clear()

    def set_limits(**rates):
        for name, rate in rates.items():
            setattr(settings, name, rate)

    yield set_limits
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """`time.time` at 10 s into a minute, moved forward by `clock.advance(seconds)`."""

    class Clock:
        now = (time.time() // 60 + 1) * 60 + 10

        def advance(self, seconds):
            self.now += seconds

    moving = Clock()
    monkeypatch.setattr(time, "time", lambda: moving.now)
    return moving


def counts(response):
    return tuple(int(response[name]) for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"))


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("1200/min", (1200, 60)),
        ("10/second", (10, 1)),
        ("5000/h", (5000, 3600)),
        ("1/Day", (1, 86400)),
        ("", None),
        ("off", None),
        (" OFF ", None),
    ],
)
def test_a_rate_is_read_as_drf_reads_one(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["1200", "0/min", "-1/min", "ten/min", "12/week", "1200/", "1.5/s", "/min"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


def test_every_answer_counts_down_successes_and_errors_alike(api, anonymous, limits, clock):
    limits(FLOWHUB_RATE_LIMIT="5/min")
    answers = [api.get(SEARCH), api.get(MISSING_FLOW), api.delete(SEARCH), anonymous.get(SEARCH)]
    assert [answer.status_code for answer in answers] == [200, 404, 405, 401]
    # The owner's count, then the anonymous caller's own; 50 s remain of the window either way.
    assert [counts(answer) for answer in answers] == [(5, 4, 50), (5, 3, 50), (5, 2, 50), (5, 4, 50)]


def test_past_the_limit_the_answer_is_429_with_retry_after(api, limits, clock):
    limits(FLOWHUB_RATE_LIMIT="3/min")
    assert [api.get(SEARCH).status_code for _ in range(3)] == [200, 200, 200]
    clock.advance(20)
    refused = api.get(SEARCH)
    body = assert_problem(refused, 429, "too-many-requests")
    assert "30 seconds" in body["detail"]
    assert refused["Retry-After"] == "30"
    assert counts(refused) == (3, 0, 30)


def test_failed_credentials_count_so_guessing_a_password_is_throttled(owner, limits, clock):
    limits(FLOWHUB_RATE_LIMIT="3/min")
    answers = [basic("owner", guess).get(SEARCH) for guess in ("a", "b", "c", "d")]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    assert [int(answer["X-RateLimit-Remaining"]) for answer in answers] == [2, 1, 0, 0]
    assert_problem(answers[-1], 429, "too-many-requests")


def test_a_namespace_out_of_sight_counts_too(db, limits, clock):
    limits(FLOWHUB_RATE_LIMIT="2/min")
    caller = member("member")  # no role anywhere: every namespace is out of sight, a 404
    answers = [caller.get("/api/v1/flows/acme/orders") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [404, 404, 429]


def test_two_users_do_not_share_a_count(api, limits, clock):
    limits(FLOWHUB_RATE_LIMIT="2/min")
    other = member("other", is_superuser=True)
    assert [api.get(SEARCH).status_code for _ in range(3)] == [200, 200, 429]
    answer = other.get(SEARCH)
    assert answer.status_code == 200
    assert counts(answer) == (2, 1, 50)


def test_each_api_token_has_its_own_count_apart_from_its_user(owner, api, limits, clock):
    limits(FLOWHUB_RATE_LIMIT="2/min")
    tokens = [ApiToken.objects.create(user=owner, name=name, prefix=name, digest=name * 64) for name in ("a", "b")]
    first, second = APIClient(), APIClient()
    first.force_authenticate(owner, token=tokens[0])
    second.force_authenticate(owner, token=tokens[1])
    assert [first.get(SEARCH).status_code for _ in range(3)] == [200, 200, 429]
    assert [second.get(SEARCH).status_code for _ in range(2)] == [200, 200]
    assert api.get(SEARCH).status_code == 200  # the user's basic-auth count is a third one


def test_each_webhook_key_has_its_own_count_and_the_api_limit_does_not_apply(anonymous, db, limits, clock):
    limits(FLOWHUB_RATE_LIMIT="1/min", FLOWHUB_WEBHOOK_RATE_LIMIT="2/min")
    first = [anonymous.post(HOOK.format(key="first-key")) for _ in range(3)]
    assert [answer.status_code for answer in first] == [404, 404, 429]  # no such flow: the call still counts
    assert [counts(answer) for answer in first] == [(2, 1, 50), (2, 0, 50), (2, 0, 50)]
    assert_problem(first[-1], 429, "too-many-requests")
    second = anonymous.post(HOOK.format(key="second-key"))
    assert (second.status_code, counts(second)) == (404, (2, 1, 50))


def test_the_count_starts_again_when_the_window_ends(api, limits, clock):
    limits(FLOWHUB_RATE_LIMIT="2/min")
    assert [api.get(SEARCH).status_code for _ in range(3)] == [200, 200, 429]
    clock.advance(49)
    assert counts(api.get(SEARCH)) == (2, 0, 1)
    clock.advance(1)
    answer = api.get(SEARCH)
    assert (answer.status_code, counts(answer)) == (200, (2, 1, 60))


def test_an_off_limit_counts_nothing_and_sends_no_headers(api, limits):
    limits(FLOWHUB_RATE_LIMIT="off")
    answers = [api.get(SEARCH) for _ in range(5)] + [api.get(MISSING_FLOW)]
    assert [answer.status_code for answer in answers] == [200] * 5 + [404]
    assert not any(answer.has_header("X-RateLimit-Limit") for answer in answers)


def test_health_is_never_throttled(anonymous, db, limits):
    limits(FLOWHUB_RATE_LIMIT="1/min")
    answers = [anonymous.get("/health") for _ in range(3)]
    assert 429 not in [answer.status_code for answer in answers]
    assert not any(answer.has_header("X-RateLimit-Limit") for answer in answers)


@pytest.mark.urls(__name__)
def test_login_counts_per_address_and_name_and_reports_the_tightest_limit(anonymous, limits, clock):
    limits(FLOWHUB_RATE_LIMIT="10/min", FLOWHUB_LOGIN_RATE_LIMIT="3/min")
    alice = [anonymous.post("/login-probe", {"username": "alice"}, format="json") for _ in range(4)]
    assert [answer.status_code for answer in alice] == [204, 204, 204, 429]
    assert [counts(answer) for answer in alice] == [(3, 2, 50), (3, 1, 50), (3, 0, 50), (3, 0, 50)]
    bob = anonymous.post("/login-probe", {"username": "bob"}, format="json")
    assert (bob.status_code, counts(bob)) == (204, (3, 2, 50))
    # The address's own count (10/min) goes on underneath, whatever the name: five requests so far, five left.
    names = [anonymous.post("/login-probe", {"username": f"name-{i}"}, format="json") for i in range(6)]
    assert [answer.status_code for answer in names] == [204] * 5 + [429]
    assert counts(names[4]) == (10, 0, 50)


def test_behind_a_proxy_the_address_is_the_last_forwarded_one(anonymous, limits, clock, settings):
    limits(FLOWHUB_RATE_LIMIT="2/min")

    def remaining(forwarded_for):
        return int(anonymous.get(SEARCH, HTTP_X_FORWARDED_FOR=forwarded_for)["X-RateLimit-Remaining"])

    # Without FLOWHUB_BEHIND_TLS_PROXY the header means nothing: one address, one count.
    assert [remaining("203.0.113.1"), remaining("203.0.113.2")] == [1, 0]
    settings.FLOWHUB_BEHIND_TLS_PROXY = True
    # What the client wrote before the proxy's own entry changes nothing; the proxy's entry does.
    assert [remaining("1.1.1.1, 203.0.113.7"), remaining("2.2.2.2, 203.0.113.7")] == [1, 0]
    assert remaining("1.1.1.1, 203.0.113.8") == 1


def test_an_unreachable_cache_lets_requests_through_without_headers(api, limits):
    limits(FLOWHUB_RATE_LIMIT="1/min")
    closed_port = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"}
    with override_settings(CACHES={"default": closed_port}):
        answers = [api.get(SEARCH) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert not any(answer.has_header("X-RateLimit-Limit") for answer in answers)


def test_a_redis_cache_holds_the_counts_with_webhook_keys_hashed(anonymous, db, limits, clock):
    if down := services.missing("Redis"):
        reason = f"needs Redis at {services.REDIS_URL}; not available: {down}"
        if services.in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    limits(FLOWHUB_WEBHOOK_RATE_LIMIT="2/min")
    # A prefix of its own, removed key by key at the end: clearing this cache would empty the whole database.
    prefix = f"throttling-test-{uuid.uuid4().hex}"
    redis_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": services.REDIS_URL}
    key = "secret-webhook-key"
    server = redis.Redis.from_url(services.REDIS_URL)
    try:
        with override_settings(CACHES={"default": {**redis_cache, "KEY_PREFIX": prefix}}):
            answers = [anonymous.post(HOOK.format(key=key)) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [404, 404, 429]
        assert [counts(answer) for answer in answers] == [(2, 1, 50), (2, 0, 50), (2, 0, 50)]
        stored = server.keys(f"{prefix}:*")
        assert len(stored) == 1
        assert key.encode() not in stored[0] and b"orders" not in stored[0]
        assert int(server.get(stored[0])) == 3
        assert 0 < server.ttl(stored[0]) <= 60
    finally:
        for stored_key in server.keys(f"{prefix}:*"):
            server.delete(stored_key)
