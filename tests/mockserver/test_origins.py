"""`mockserver.edge.origins`: `--cors-origin` values checked and compiled into one safe regex."""

from __future__ import annotations

import pytest

from mockserver.edge.origins import OriginPolicy, normalize_origin, pattern_regex, suggested_origin


@pytest.mark.parametrize(
    "value,normal",
    [
        ("*", "*"),
        ("HTTPS://App.Example.com/", "https://app.example.com"),
        ("http://localhost:5173", "http://localhost:5173"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://*.example.com", "https://*.example.com"),
        ("http://192.168.*:*", "http://192.168.*:*"),
        ("chrome-extension://abcdef", "chrome-extension://abcdef"),
    ],
)
def test_normalize_origin(value: str, normal: str) -> None:
    assert normalize_origin(value) == normal


@pytest.mark.parametrize(
    "value,why",
    [
        ("app.example.com", "no scheme"),
        ("https://app.example.com/path", "no path"),
        ("https://app.example.com?q", "no path"),
        ("https://user@app.example.com", "user name"),
        ("https://app.example.com:0", "1..65535"),
        ("https://app.example.com:http", "1..65535"),
        ("https://app*.example.com", "whole labels"),
        ("https://app.*", "any domain"),
        ("http://[zz]", "IPv6"),
        ("null", "sandboxed"),
        ("https://caf\u00e9.example", "punycode"),
        ("https://a .example", "without spaces"),
    ],
)
def test_what_is_not_an_origin_is_refused_saying_why(value: str, why: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_origin(value)
    assert why in str(caught.value) and "'https://app.example.com'" in str(caught.value)


def test_patterns_are_escaped_literals_around_the_stars() -> None:
    assert pattern_regex("https://app.example.com") == r"https://app\.example\.com"
    assert (
        pattern_regex("http://192.168.*") == r"http://192\.168\.\d{1,3}(?:\.\d{1,3})*(?::\d{1,5})?"
    )
    star = pattern_regex("https://*.example.com")
    assert star.startswith("https://[a-z0-9_-]+") and star.endswith(r"\.example\.com(?::\d{1,5})?")


def test_the_default_is_always_allowed_and_listing_is_separate() -> None:
    policy = OriginPolicy(("https://app.example.com", "*"))
    assert policy.allows("http://localhost:5173") and policy.allows("https://anything.example")
    assert policy.lists("https://app.example.com") and policy.lists("HTTPS://APP.EXAMPLE.COM")
    assert not policy.lists("http://localhost:5173")  # the default is not "listed"
    assert not policy.lists("https://anything.example")  # nor is what '*' allows
    assert not OriginPolicy().lists("http://localhost:5173")


@pytest.mark.parametrize(
    "origin,suggested",
    [
        ("https://app.example.com", "https://app.example.com"),
        ("http://localhost:5173", "http://localhost:5173"),
        ("null", "ORIGIN"),
        ("https://*.evil.example", "ORIGIN"),
        ("*", "ORIGIN"),
        ("https://a.example/<script>", "ORIGIN"),
    ],
)
def test_suggested_origin(origin: str, suggested: str) -> None:
    assert suggested_origin(origin) == suggested
