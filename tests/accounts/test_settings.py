"""Production settings refuse to start unsafe; headers and error pages give nothing away.

The production checks import ``config.settings`` in a fresh interpreter with a controlled environment,
since settings are read once at import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from django.views.debug import ExceptionReporter

from config import urls as project_urls
from config.reporting import ConfidentialExceptionReporterFilter
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD

BASE_DIR = Path(settings.BASE_DIR)
CONFIDENTIAL = "Nguyễn Thị Hoa, thôn Kon, nhà thứ ba sau trạm y tế"


def _production_env(var_dir: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(var_dir),
        "VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "APP_ENV": "production",
        "ALLOWED_HOSTS": "diachi.example.org",
        "SECRET_KEY": "production-secret-key-for-tests-only-0123456789-abcdefghijklmnopqrstuvwxyz",
        "FIELD_ENCRYPTION_KEYS": "k1:cHJvZC1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0tLS0=",
        "BLIND_INDEX_KEY": "cHJvZC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtLS0tLQ==",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def _setup(env: dict[str, str], then: str = "") -> subprocess.CompletedProcess[str]:
    return _run(env, "-c", f"import django; django.setup()\n{then}")


def _settings_in(env: dict[str, str], *names: str) -> dict[str, object]:
    """The named settings, as a fresh interpreter with ``env`` sees them."""
    result = _setup(env, then=(
        "import json; from django.conf import settings as s\n"
        f"print(json.dumps({{name: getattr(s, name) for name in {list(names)!r}}}))"
    ))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- Production refuses to start unsafe -----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "The environment variable SECRET_KEY must be set."),
        ({"SECRET_KEY": ""}, "The environment variable SECRET_KEY must be set."),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 50 characters long in production."),
        ({"FIELD_ENCRYPTION_KEYS": None}, "The environment variable FIELD_ENCRYPTION_KEYS must be set."),
        ({"BLIND_INDEX_KEY": None}, "The environment variable BLIND_INDEX_KEY must be set."),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must name the site's hosts in production"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS must name the site's hosts in production"),
        ({"ALLOWED_HOSTS": "example.org,*"}, "ALLOWED_HOSTS must name the site's hosts in production"),
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
        ({"DEBUG": "true"}, "DEBUG must be off in production"),
        ({"APP_ENV": "prod"}, "APP_ENV must be development, production or test, not 'prod'."),
    ],
    ids=["no-secret-key", "empty-secret-key", "short-secret-key", "no-field-keys", "no-blind-index-key",
         "no-allowed-hosts", "blank-allowed-hosts", "wildcard-allowed-hosts", "debug-1", "debug-true",
         "misspelt-app-env"],
)
def test_production_refuses_to_start_without_its_secrets_or_with_debug(tmp_path, overrides, message):
    result = _setup(_production_env(tmp_path, **overrides))

    assert result.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr
    assert not (tmp_path / "dev-secrets.json").exists()  # production never invents a secret


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be a boolean (1/0, true/false, yes/no), not 'maybe'."),
        ("SESSION_IDLE_TIMEOUT_MINUTES", "abc",
         "SESSION_IDLE_TIMEOUT_MINUTES must be a whole number, not 'abc'."),
        ("SESSION_IDLE_TIMEOUT_MINUTES", "0", "SESSION_IDLE_TIMEOUT_MINUTES must be at least 1, not 0."),
        ("SESSION_IDLE_TIMEOUT_MINUTES", "30.5",
         "SESSION_IDLE_TIMEOUT_MINUTES must be a whole number, not '30.5'."),
        ("SESSION_WARNING_MINUTES", "30",
         "SESSION_WARNING_MINUTES must be shorter than SESSION_IDLE_TIMEOUT_MINUTES."),
        ("SESSION_KEPT_WORK_MINUTES", "0", "SESSION_KEPT_WORK_MINUTES must be at least 1, not 0."),
        ("LOGIN_FAILURE_LIMIT", "five", "LOGIN_FAILURE_LIMIT must be a whole number, not 'five'."),
        ("LOGIN_LOCKOUT_MINUTES", "-5", "LOGIN_LOCKOUT_MINUTES must be at least 1, not -5."),
        ("HTTPS", "perhaps", "HTTPS must be a boolean (1/0, true/false, yes/no), not 'perhaps'."),
        ("PROXY_COUNT", "-1", "PROXY_COUNT must be at least 0, not -1."),
    ],
)
def test_malformed_setting_fails_loudly(tmp_path, name, value, message):
    result = _setup(_production_env(tmp_path, **{name: value}))

    assert result.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_production_with_everything_set_passes_the_deployment_checks(tmp_path):
    result = _run(_production_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr
    assert not (tmp_path / "dev-secrets.json").exists()


def test_production_turns_on_https_only_cookies_and_strict_transport(tmp_path):
    values = _settings_in(
        _production_env(tmp_path),
        "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS", "SESSION_COOKIE_AGE", "PASSWORD_HASHERS",
    )

    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    # Idle time-out 30 minutes (enforced by accounts.middleware); Django's expiry is the backstop, an
    # hour (the time work is kept) later.
    assert values["SESSION_COOKIE_AGE"] == (30 + 60) * 60
    assert values["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_idle_timeout_is_configurable(tmp_path):
    values = _settings_in(
        _production_env(tmp_path, SESSION_IDLE_TIMEOUT_MINUTES="10", SESSION_WARNING_MINUTES="3",
                        SESSION_KEPT_WORK_MINUTES="20"),
        "SESSION_IDLE_TIMEOUT_MINUTES", "SESSION_IDLE_SECONDS", "SESSION_WARNING_SECONDS",
        "SESSION_KEPT_WORK_SECONDS", "SESSION_COOKIE_AGE",
    )

    assert values == {"SESSION_IDLE_TIMEOUT_MINUTES": 10, "SESSION_IDLE_SECONDS": 600, "SESSION_WARNING_SECONDS": 180,
                      "SESSION_KEPT_WORK_SECONDS": 1200, "SESSION_COOKIE_AGE": 1800}


def test_malformed_setting_fails_loudly_in_development_too(tmp_path):
    result = _setup(_production_env(tmp_path, APP_ENV="development", DEBUG="maybe"))

    assert result.returncode != 0
    message = "ImproperlyConfigured: DEBUG must be a boolean (1/0, true/false, yes/no), not 'maybe'."
    assert message in result.stderr


def test_development_defaults_are_safe(tmp_path):
    env = _production_env(tmp_path, APP_ENV=None, SECRET_KEY=None, FIELD_ENCRYPTION_KEYS=None,
                          BLIND_INDEX_KEY=None, ALLOWED_HOSTS=None)
    values = _settings_in(env, "DEBUG", "SECRET_KEY")

    assert values["DEBUG"] is False
    assert len(values["SECRET_KEY"]) >= 50
    # Development secrets are made per checkout, readable by the owner only.
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o777 == 0o600


# --- Security headers -----------------------------------------------------------------------------

PRODUCTION_REQUEST = """
import json
from django.test import Client, override_settings
# Headers are the point here, not the static manifest (which needs a slow collectstatic first).
plain_static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
with override_settings(STORAGES={"default": plain_static, "staticfiles": plain_static}):
    client = Client(HTTP_HOST="diachi.example.org")
    plain = client.get("/accounts/login/")
    secure = client.get("/accounts/login/", secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "status": secure.status_code,
    "headers": dict(secure.headers),
    "cookies": {n: {"secure": c["secure"], "httponly": c["httponly"]} for n, c in secure.cookies.items()},
}))
"""


def test_production_responses_carry_strict_security_headers(tmp_path):
    result = _setup(_production_env(tmp_path), then=PRODUCTION_REQUEST)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["plain"] == [301, "https://diachi.example.org/accounts/login/"]
    assert seen["status"] == 200
    headers = seen["headers"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert seen["cookies"]["csrftoken"] == {"secure": True, "httponly": True}


def test_every_response_carries_the_security_headers(client, cast):
    responses = [
        client.get("/accounts/login/"),
        signed_in(cast.volunteer_a).get("/accounts/profile/"),
        client.get("/accounts/profile/"),
    ]

    for response in responses:
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        csp = response["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "form-action 'self'" in csp


def test_referrer_policy_still_lets_browsers_post_forms(cast):
    """Under "no-referrer" browsers send "Origin: null" with every POST and CSRF refuses them all;
    "same-origin" keeps referrers off other sites and lets our own forms through."""
    client = Client(enforce_csrf_checks=True)
    html = client.get("/accounts/login/").content.decode()
    assert settings.SECURE_REFERRER_POLICY == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in html  # the page says the same as the header
    token = client.cookies["csrftoken"].value
    data = {"username": "alice", "password": TEST_PASSWORD, "csrfmiddlewaretoken": token}

    assert client.post("/accounts/login/", data, HTTP_ORIGIN="null").status_code == 403
    assert client.post("/accounts/login/", data, HTTP_ORIGIN="http://testserver").status_code == 302


def test_pages_that_are_never_meant_to_be_cached_say_so(cast):
    response = signed_in(cast.sysadmin).get("/operator/")

    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


# --- Error pages ----------------------------------------------------------------------------------


def _explode(request: HttpRequest) -> HttpResponse:
    survivor_address = request.POST.get("address", "")  # noqa: F841 - a local the report must not show
    raise RuntimeError("case form failed")


urlpatterns = [*project_urls.urlpatterns, path("test-explode/", _explode)]


@pytest.mark.urls(__name__)
def test_server_error_page_is_the_static_page_with_no_traceback_or_posted_data(cast, caplog):
    client = signed_in(cast.volunteer_a)
    client.raise_request_exception = False
    assert settings.DEBUG is False

    response = client.post("/test-explode/", {"address": CONFIDENTIAL, "password": "hunter2"})

    assert response.status_code == 500
    html = response.content.decode()
    assert html == (BASE_DIR / "templates" / "500.html").read_text()
    leaks = (CONFIDENTIAL, "hunter2", "Traceback", "RuntimeError", "case form failed", "survivor_address")
    for leak in leaks:
        assert leak not in html
    # The log line names the path and the error, never the data.
    assert CONFIDENTIAL not in caplog.text


def test_error_report_masks_every_posted_value_and_every_local_variable(settings):
    settings.DATABASE_URL = "postgres://diachi:db-password-123@db.internal:5432/diachi"
    request = RequestFactory().post(
        "/casework/new/", {"full_name": "Nguyễn Thị Hoa", "address": CONFIDENTIAL, "note": "bị đánh"}
    )
    request.user = None

    def handle(request: HttpRequest) -> None:
        survivor = {"name": "Nguyễn Thị Hoa", "address": CONFIDENTIAL}  # noqa: F841
        raise ValueError("could not save")

    try:
        handle(request)
    except ValueError:
        reporter = ExceptionReporter(request, *sys.exc_info())

    assert isinstance(reporter.filter, ConfidentialExceptionReporterFilter)
    text, html = reporter.get_traceback_text(), reporter.get_traceback_html()
    for report in (text, html):
        for secret in ("Nguyễn Thị Hoa", "Nguy&#x1EC5;n", CONFIDENTIAL, "bị đánh", "db-password-123"):
            assert secret not in report
    assert "full_name" in text  # the field names stay, to help debugging

    masked = reporter.filter.cleansed_substitute
    posted = reporter.filter.get_post_parameters(request)
    assert posted == {"full_name": masked, "address": masked, "note": masked}
    frames = reporter.get_traceback_frames()
    assert frames
    for frame in frames:
        assert all(value == repr(masked) or masked in value for _name, value in frame["vars"])


def test_error_report_filter_copes_without_a_request():
    assert ConfidentialExceptionReporterFilter().get_post_parameters(None) == {}
