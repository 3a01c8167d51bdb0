"""Top-level test configuration: plugins must be declared here (pytest refuses them deeper)."""

pytest_plugins = ["pytester", "tests.browser", "tests.redisserver"]
