from tests.e2e.conftest import embedded  # noqa: F401  (the same running server as the e2e tests)
