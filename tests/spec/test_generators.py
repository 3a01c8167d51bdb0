"""The served spec as a frontend team's tools take it: linters pass it, generators make working
clients from it.

- Spectral (`spectral:oas`): 0 errors, 0 warnings; Redocly (`recommended-strict`): 0 errors.
- openapi-typescript: the generated types compile under `tsc --strict` with a typed usage file
  (generators/usage.ts) whose `@ts-expect-error` lines must really be errors.
- openapi-python-client: a model for every response, and the generated client round-trips
  list / get / update / delete / 404 / 401 against a live `credkit serve` (generators/roundtrip.py).

The npm tools come from the npm registry (pinned below) into a temporary directory and run with
`npx`; openapi-python-client is pip-installed into a temporary venv. Skipped only when `npm` is
absent. Each tool is also shown a broken copy of the spec, to prove the test can fail.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.live import LiveServer, running

HERE = Path(__file__).parent / "generators"
# The npm tools, pinned; .ci/run installs the same list once and passes it as CREDKIT_NODE_TOOLS.
NPM_TOOLS = HERE / "npm-tools.txt"
PYTHON_GENERATOR = "openapi-python-client==0.29.1"

pytestmark = [
    pytest.mark.e2e,
    # One xdist worker runs them all: the npm tools, the generator's venv and the server below
    # are module-scoped, and each worker would make its own (an npm install, a pip install).
    # Cost only: each worker's copies are its own. (With pytest 9.2 and pytest-xdist 3.8 the
    # grouping is silently off, pytest-xdist issue 1386; it works with pytest < 9.2.)
    pytest.mark.xdist_group("spec-generators"),
    pytest.mark.skipif(
        shutil.which("npm") is None or shutil.which("npx") is None,
        reason="npm/npx not installed: the spec's linter and generator tests need Node.js and "
        "npm (Debian: apt-get install -y npm)",
    ),
]


def run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "REDOCLY_TELEMETRY": "off", "NO_UPDATE_NOTIFIER": "1"}
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def node_tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory whose node_modules holds the pinned npm tools (reused from .ci/run's)."""
    prepared = os.environ.get("CREDKIT_NODE_TOOLS")
    if prepared and (Path(prepared) / "node_modules" / ".bin" / "spectral").exists():
        return Path(prepared)
    where = tmp_path_factory.mktemp("node-tools")
    tools = NPM_TOOLS.read_text(encoding="utf-8").split()
    result = run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(where), *tools], where
    )
    assert result.returncode == 0, f"npm install of {tools} failed:\n{output(result)}"
    return where


def npx(tools: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run an installed npm tool's binary with `npx --no-install` (no download at this point)."""
    return run(["npx", "--no-install", "--prefix", str(tools), "--", *args], cwd)


@pytest.fixture(scope="module")
def python_generator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a temporary venv holding openapi-python-client (and so httpx and attrs)."""
    where = tmp_path_factory.mktemp("opc") / "venv"
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    result = run([str(python), "-m", "pip", "install", "--quiet", PYTHON_GENERATOR], where.parent)
    assert result.returncode == 0, f"pip install {PYTHON_GENERATOR} failed:\n{output(result)}"
    return python


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with running(log) as live:
        yield live


@pytest.fixture(scope="module")
def served_spec(server: LiveServer) -> dict[str, Any]:
    """The spec as the running mock serves it at /openapi.yaml."""
    answer = httpx.get(server.url + "/openapi.yaml", timeout=30)
    assert answer.status_code == 200
    document: dict[str, Any] = yaml.safe_load(answer.text)
    return document


def write(document: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def spectral(tools: Path, spec: Path) -> list[dict[str, Any]]:
    ruleset = spec.parent / ".spectral.yaml"
    ruleset.write_text('extends: ["spectral:oas"]\n', encoding="utf-8")
    result = npx(tools, "spectral", "lint", "-r", str(ruleset), "-f", "json", "-q", str(spec),
                 cwd=spec.parent)  # fmt: skip
    assert result.returncode in (0, 1), output(result)
    problems: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return problems


def redocly(tools: Path, spec: Path) -> tuple[int, str]:
    result = npx(tools, "redocly", "lint", "--extends", "recommended-strict",
                 "--format", "stylish", str(spec), cwd=spec.parent)  # fmt: skip
    return result.returncode, output(result)


def test_spectral_oas_has_no_errors_or_warnings(
    node_tools: Path, served_spec: dict[str, Any], tmp_path: Path
) -> None:
    problems = spectral(node_tools, write(served_spec, tmp_path / "good" / "openapi.yaml"))
    assert [(p["code"], p["path"], p["message"]) for p in problems] == []

    broken = copy.deepcopy(served_spec)
    del broken["info"]["contact"]
    del broken["paths"]["/api/v1/ping"]["get"]["description"]
    found = spectral(node_tools, write(broken, tmp_path / "broken" / "openapi.yaml"))
    assert {p["code"] for p in found} == {"info-contact", "operation-description"}


def test_redocly_recommended_strict_has_no_errors(
    node_tools: Path, served_spec: dict[str, Any], tmp_path: Path
) -> None:
    status, text = redocly(node_tools, write(served_spec, tmp_path / "good" / "openapi.yaml"))
    assert status == 0, text

    broken = copy.deepcopy(served_spec)
    del broken["info"]["license"]
    status, text = redocly(node_tools, write(broken, tmp_path / "broken" / "openapi.yaml"))
    assert status != 0 and "info-license" in text, text


def typescript_check(tools: Path, spec: dict[str, Any], where: Path) -> tuple[int, str]:
    """Generate `schema.d.ts` from `spec`, then `tsc --strict` the usage file against it."""
    source = write(spec, where / "openapi.yaml")
    shutil.copy(HERE / "usage.ts", where / "usage.ts")
    generated = npx(tools, "openapi-typescript", str(source), "-o", str(where / "schema.d.ts"),
                    cwd=where)  # fmt: skip
    assert generated.returncode == 0, output(generated)
    compiled = npx(tools, "tsc", "--strict", "--noEmit", "--target", "es2022",
                   "--module", "es2022", "--moduleResolution", "bundler",
                   "--lib", "es2022,dom", "usage.ts", cwd=where)  # fmt: skip
    return compiled.returncode, output(compiled)


def test_openapi_typescript_output_compiles_under_tsc_strict(
    node_tools: Path, served_spec: dict[str, Any], tmp_path: Path
) -> None:
    status, text = typescript_check(node_tools, served_spec, tmp_path / "good")
    assert status == 0, text

    # The spec before issue 13: `plainDataObj: {type: object}` generated `Record<string, never>`.
    broken = copy.deepcopy(served_spec)
    broken["components"]["schemas"]["CredentialData"].pop("additionalProperties")
    status, text = typescript_check(node_tools, broken, tmp_path / "broken")
    assert status != 0 and "usage.ts" in text, text


def generate_python(python: Path, spec: dict[str, Any], where: Path) -> tuple[Path, str]:
    """Run openapi-python-client on `spec`; the generated package and the generator's output."""
    source = write(spec, where / "openapi.yaml")
    config = where / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")
    generator = str(python.parent / "openapi-python-client")
    result = run([generator, "generate", "--path", str(source), "--config", str(config),
                  "--meta", "none", "--output-path", str(where / "credkit_client")],
                 where)  # fmt: skip
    assert result.returncode == 0, output(result)
    return where / "credkit_client", result.stdout + result.stderr


def unparsed_responses(package: Path, spec: dict[str, Any]) -> list[str]:
    """Every documented JSON response of the spec that the generated client does not parse."""
    missing = []
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            module = re.sub(r"(?<!^)(?=[A-Z])", "_", operation["operationId"]).lower()
            (source,) = package.glob(f"api/*/{module}.py")
            code = source.read_text(encoding="utf-8")
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    ref = response["$ref"].rsplit("/", 1)[1]
                    response = spec["components"]["responses"][ref]
                if "application/json" not in response.get("content", {}):
                    continue
                if f"response_{status} = " not in code:
                    missing.append(f"{operation['operationId']} {status}")
    return missing


def test_openapi_python_client_makes_a_model_for_every_response(
    python_generator: Path, served_spec: dict[str, Any], tmp_path: Path
) -> None:
    package, text = generate_python(python_generator, served_spec, tmp_path / "good")
    assert "Warning" not in text, text
    assert unparsed_responses(package, served_spec) == []

    # The spec before issue 13: `$ref`s into another schema's properties dropped 3 responses.
    broken = copy.deepcopy(served_spec)
    detail = broken["components"]["schemas"]["CredentialDetail"]["properties"]
    detail["id"] = {"$ref": "#/components/schemas/Credential/properties/id"}
    package, text = generate_python(python_generator, broken, tmp_path / "broken")
    assert "Warning" in text
    assert unparsed_responses(package, broken) == ["getCredential 200"]


def test_generated_python_client_round_trips_against_credkit_serve(
    python_generator: Path, served_spec: dict[str, Any], server: LiveServer, tmp_path: Path
) -> None:
    package, _ = generate_python(python_generator, served_spec, tmp_path)
    shutil.copy(HERE / "roundtrip.py", tmp_path / "roundtrip.py")
    result = run([str(python_generator), "roundtrip.py", server.url], tmp_path, timeout=120)
    assert result.returncode == 0, output(result)
    assert result.stdout.strip().endswith("round trip ok"), output(result)
    assert package.is_dir()


def test_the_round_trip_fails_on_a_server_that_breaks_the_contract(
    python_generator: Path, served_spec: dict[str, Any], tmp_path: Path
) -> None:
    """The round trip is a real check: against the flowise-3.1 profile (its 401 body is
    `{"error": "Unauthorized Access"}`, an unknown id is 500) it fails."""
    generate_python(python_generator, served_spec, tmp_path)
    shutil.copy(HERE / "roundtrip.py", tmp_path / "roundtrip.py")
    with running(tmp_path / "serve.log", "--profile", "flowise-3.1") as other:
        result = run([str(python_generator), "roundtrip.py", other.url], tmp_path, timeout=120)
    assert result.returncode != 0, output(result)
    assert "round trip ok" not in result.stdout
