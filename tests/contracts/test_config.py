"""`VerifyConfig`: validated when built, and never shows a key — nor does the mock's `Config`."""

from __future__ import annotations

import dataclasses

import pytest

from contracts.config import ENV_VARS, VerifyConfig, mask_userinfo, parse_rate_limit
from contracts.context import CheckContext
from contracts.schema import schemathesis_config
from credkit_core.errors import ConfigError
from mockserver.config import Config

SECRETS = {
    "api_key": "full-key-0123456789",
    "readonly_api_key": "readonly-key-0123456789",
    "foreign_api_key": "foreign-key-0123456789",
    "secret_key": "passphrase-0123456789",
}
HEADER = ("X-Gateway-Token", "gateway-token-0123456789")


def test_no_config_object_shows_a_key_in_repr_or_str() -> None:
    verify = VerifyConfig(base_url="http://127.0.0.1:3000", **SECRETS, headers=(HEADER,))
    mock = Config(secret_key="mock-passphrase-0123", admin_token="admin-token-0123456789")
    for obj, secrets in (
        (verify, [*SECRETS.values(), HEADER[1]]),
        (mock, ["mock-passphrase-0123", "admin-token-0123456789"]),
    ):
        for text in (repr(obj), str(obj)):
            assert type(obj).__name__ in text  # the object is shown, just not its secrets
            for secret in secrets:
                assert secret not in text, (type(obj).__name__, secret)
    # every field that holds a key, a passphrase, a token or header values is hidden
    for cls, hidden in (
        (VerifyConfig, {*SECRETS, "headers"}),
        (Config, {"secret_key", "admin_token"}),
        (CheckContext, {"secrets"}),  # the secrets a run wrote, should a context be printed
    ):
        assert {f.name for f in dataclasses.fields(cls) if not f.repr} >= hidden


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("key-0123456789\n", "a line break (character 15 of 15)"),
        ("key-01234\r\n56789", "a line break"),
        ("kéy-0123456789", "a non-ASCII character (character 2 of 14)"),
        ("key-0123\t456789", "a control character"),
    ],
)
@pytest.mark.parametrize("name", ["api_key", "readonly_api_key", "foreign_api_key"])
def test_an_unsendable_key_is_refused_without_showing_it(
    name: str, value: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        VerifyConfig(base_url="http://127.0.0.1:3000", **{name: value})
    message = str(caught.value)
    assert f"--{name.replace('_', '-')} ({ENV_VARS[name]}) contains {problem}" in message
    assert value.strip() not in message and "0123456789" not in message


def test_an_unsendable_header_value_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError, match="--header X-Token contains a line break") as caught:
        VerifyConfig(base_url="http://127.0.0.1:3000", headers=(("X-Token", "tok\nen-secret"),))
    assert "en-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://127.0.0.1:abc", "Port could not be cast"),
        ("http://127.0.0.1:99999", "Port out of range"),
        ("http://user:hunter2-pw@127.0.0.1:3000", "user name or password"),
        ("http://hunter2-pw@127.0.0.1:3000", "user name or password"),
        ("http://127.0.0.1:3000/flöwise", "non-ASCII"),
    ],
)
def test_bad_base_urls_are_config_errors_naming_the_cause(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        VerifyConfig(base_url=url, api_key="k" * 8)
    assert "hunter2" not in str(caught.value)
    assert "CREDKIT_BASE_URL" in str(caught.value)


def test_mask_userinfo() -> None:
    assert mask_userinfo("http://u:p@h:1/x@y") == "http://***@h:1/x@y"
    assert mask_userinfo("http://h:1/x@y") == "http://h:1/x@y"


@pytest.mark.parametrize(
    ("given", "sent"),
    [("90/m", "90/m"), ("2/s", "2/s"), (" 10 ", "10/s"), ("5/h", "5/h"), ("100/d", "100/d")],
)
def test_the_rate_limit_reaches_schemathesis_as_given(given: str, sent: str) -> None:
    from pyrate_limiter import Duration
    from schemathesis.core.rate_limit import parse_units

    config = VerifyConfig(base_url="http://127.0.0.1:3000", api_key="k" * 8, rate_limit=given)
    assert config.rate_limit == sent
    ctx = type("Ctx", (), {"config": config})()
    assert schemathesis_config(ctx, [], fuzz=False, max_time=None)["rate-limit"] == sent
    count, unit = sent.split("/")
    assert parse_units(sent) == (int(count), getattr(Duration, _UNITS[unit]))


_UNITS = {"s": "SECOND", "m": "MINUTE", "h": "HOUR", "d": "DAY"}


def test_requests_per_second_of_the_suites_own_client() -> None:
    config = VerifyConfig(base_url="http://127.0.0.1:3000", rate_limit="90/m")
    assert config.requests_per_second == 1.5
    assert VerifyConfig(base_url="http://127.0.0.1:3000").requests_per_second is None


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("2.5/s", "the same rate is 150/m"),
        ("0.5/m", "the same rate is 30/h"),
        ("fast", "is not a rate"),
        ("0/s", "is not a rate"),
        ("10/w", "is not a rate"),
    ],
)
def test_a_rate_schemathesis_cannot_take_is_refused(given: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_rate_limit(given)
