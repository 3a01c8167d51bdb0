"""The HTML report of a run (`credkit verify --html`, `pytest --credkit-html`): one
self-contained file (inline CSS and JS, no external asset), for a person or a CI artifact.

Built from the JSON report (`contracts.report.to_json`), so it holds exactly what the JSON
report holds: the findings' texts and reproductions are already masked there (no key, no
secret). Every value is escaped with `html.escape`; the page's only script copies a curl.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template
from typing import Any

from contracts.report import to_json
from contracts.runner import RunResult

__all__ = ["render_html", "write_html"]

_VERDICT = {
    0: ("pass", "All checks passed or are allowed"),
    1: ("fail", "Contract violations found"),
    2: ("abort", "The run could not complete"),
}

_PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>credkit $mode: $verdict_text</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:1.2rem}
h1{margin:.2rem 0;font-size:1.5rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.verdict{padding:1rem 1.2rem;border-radius:8px;color:#fff}
.verdict.pass{background:#1f7a3a}.verdict.fail{background:#b3261e}.verdict.abort{background:#7a4b00}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.8rem 0}
.meta dt{color:#566}.meta dd{margin:0;font-family:ui-monospace,monospace}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
.status{font-weight:600;white-space:nowrap}
.st-passed{color:#1f7a3a}.st-failed,.st-error{color:#b3261e}.st-allowed{color:#8a6d00}
.st-skipped{color:#6b7280}
.finding{background:#fff;border-left:4px solid #b3261e;margin:.8rem 0;padding:.6rem .9rem}
.finding.allowed{border-color:#d4a106}
.finding h3{margin:0 0 .3rem;font-size:1rem}
.label{color:#566;font-weight:600}
pre{white-space:pre-wrap;word-break:break-all;background:#f0f2f5;padding:.5rem;margin:.3rem 0}
button.copy{font-size:.8rem;cursor:pointer}
.counts span{margin-right:1rem}
</style></head>
<body><main>
<section class="verdict $verdict_class" id="verdict">
<h1>credkit $mode: $verdict_text</h1>
<div>exit status <strong id="exit-code">$exit_code</strong>$abort</div>
</section>
<dl class="meta" id="metadata">
<dt>target</dt><dd>$base_url</dd>
<dt>run</dt><dd>$run_id</dd>
<dt>duration</dt><dd>$duration s, $requests requests</dd>
<dt>seed</dt><dd>$seed</dd>
<dt>credkit</dt><dd>$version</dd>
</dl>
<p class="counts">$counts</p>
<h2>Checks</h2>
<table id="checks"><thead><tr><th>check</th><th>group</th><th>result</th><th>findings</th>
<th>requires</th></tr></thead><tbody>
$check_rows
</tbody></table>
<h2>Findings</h2>
<div id="findings">$findings</div>
$skipped
$cleanup
</main>
<script>
document.querySelectorAll("button.copy").forEach(function (b) {
  b.addEventListener("click", function () {
    var text = document.getElementById(b.dataset.target).textContent;
    var done = function () { b.textContent = "copied"; };
    if (navigator.clipboard) { navigator.clipboard.writeText(text).then(done, done); }
    else { var r = document.createRange(); r.selectNode(document.getElementById(b.dataset.target));
      getSelection().removeAllRanges(); getSelection().addRange(r);
      document.execCommand("copy"); done(); }
  });
});
</script>
</body></html>
""")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _finding(f: dict[str, Any], number: int) -> str:
    classes = "finding allowed" if f["allowed"] else "finding"
    status = f" (HTTP {f['status']})" if f["status"] is not None else ""
    parts = [
        f'<article class="{classes}" data-check="{_e(f["check"])}">',
        f"<h3>{_e(f['check'])} <small>{_e(f['operation'])}{_e(status)}</small></h3>",
        f'<div><span class="label">The contract requires:</span> {_e(f["requirement"])}</div>',
        f'<div><span class="label">The server did:</span> {_e(f["observed"])}</div>',
    ]
    if f["allowed"]:
        parts.append(f'<div><span class="label">Allowed:</span> {_e(f["allowReason"])}</div>')
    parts.append(
        f'<div><span class="label">Fingerprint:</span> <code>{_e(f["fingerprint"])}</code> '
        f"<small>{_e(f['signature'])}</small></div>"
    )
    if f["curl"]:
        ident = f"curl-{number}"
        parts.append(
            '<div><span class="label">Reproduce:</span> '
            f'<button class="copy" type="button" data-target="{ident}">copy</button>'
            f'<pre class="curl" id="{ident}">{_e(f["curl"])}</pre></div>'
        )
    parts.append("</article>")
    return "\n".join(parts)


def render_html(result: RunResult) -> str:
    """The report page of `result` (see the module docstring)."""
    report = to_json(result)
    css, text = _VERDICT[report["exitCode"]]
    checks = report["checks"]
    if report["exitCode"] == 0 and checks and all(c["status"] == "skipped" for c in checks):
        text = "Nothing was checked: every selected check was skipped"
    rows = [
        f'<tr data-check="{_e(c["name"])}" data-status="{_e(c["status"])}">'
        f"<td>{_e(c['name'])}</td><td>{_e(c['group'])}</td>"
        f'<td class="status st-{_e(c["status"])}">{_e(c["status"])}'
        + (f"<br><small>{_e(c['reason'])}</small>" if c["reason"] else "")
        + f"</td><td>{len(c['findings']) or ''}</td><td>{_e(c['requirement'])}</td></tr>"
        for c in checks
    ]
    findings = [*report["setupFindings"], *(f for c in checks for f in c["findings"])]
    findings.sort(key=lambda f: f["allowed"])  # violations first, allowed deviations after
    skipped = [c for c in checks if c["status"] == "skipped"]
    skipped_html = ""
    if skipped:
        items = "".join(
            f"<li><strong>{_e(c['name'])}</strong>: {_e(c['reason'] or 'skipped')}</li>"
            for c in skipped
        )
        skipped_html = f'<h2>Skipped</h2><ul id="skipped">{items}</ul>'
    cleanup = report["cleanup"]
    cleanup_html = (
        f"<h2>Cleanup</h2><p>{cleanup['created']} credential(s) created and deleted"
        + (
            f"; <strong>left behind</strong>: {_e(', '.join(cleanup['leftovers']))}"
            if cleanup["leftovers"]
            else ""
        )
        + "</p>"
    )
    return _PAGE.substitute(
        mode=_e(report["mode"]),
        verdict_class=css,
        verdict_text=_e(text),
        exit_code=report["exitCode"],
        abort=f" — {_e(report['abortReason'])}" if report["abortReason"] else "",
        base_url=_e(report["baseUrl"]),
        run_id=_e(report["runId"]),
        duration=f"{report['durationSeconds']:.1f}",
        requests=f"{report['requests']:,}",
        seed=_e(result.seed if result.seed is not None else "random (not given)"),
        version=_e(report["tool"]["version"]),
        counts="".join(
            f'<span class="st-{_e(k)}">{v} {_e(k)}</span>' for k, v in report["summary"].items()
        ),
        check_rows="\n".join(rows),
        findings="\n".join(_finding(f, n) for n, f in enumerate(findings, 1)) or "<p>None.</p>",
        skipped=skipped_html,
        cleanup=cleanup_html,
    )


def write_html(result: RunResult, path: Path) -> None:
    path.write_text(render_html(result), encoding="utf-8")
