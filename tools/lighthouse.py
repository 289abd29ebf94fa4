"""Lighthouse's accessibility score for every page of the built docs site, as a table.

    python tools/lighthouse.py site LIGHTHOUSE [--output docs/assets/lighthouse/accessibility.md]

Lighthouse is not one of the workshop's dependencies: install it from the npm registry in
a scratch folder (`npm install lighthouse@12`) and pass its program,
`node_modules/.bin/lighthouse`. The site is served as tools/sitecheck.py serves it, and
each page is measured in headless Chromium (Lighthouse's mobile emulation, the default).
The table names any audit a page failed. `nox -s docs` checks the same rules through
axe-core (tools/sitecheck.py); this is the second opinion that the target is stated in.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import helpers
import sitecheck

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "assets" / "lighthouse" / "accessibility.md"
DEADLINE_S = 600  # one page, on a slow and busy machine


def measure(lighthouse, url, report):
    """Run Lighthouse's accessibility audits on one URL; return its JSON report."""
    chrome_flags = " ".join(["--headless=new", "--no-sandbox", *helpers.CHROMIUM_ARGS])
    command = [lighthouse, url, "--only-categories=accessibility", "--output=json"]
    command += [f"--output-path={report}", f"--chrome-flags={chrome_flags}", "--quiet"]
    env = {**os.environ, "CHROME_PATH": helpers.chromium() or ""}
    subprocess.run(command, check=True, timeout=DEADLINE_S, env=env)
    return json.loads(Path(report).read_text())


def failed_audits(report):
    """(audit id, title) for every scored accessibility audit the page did not pass."""
    audits = report["audits"]
    return [
        (ref["id"], audits[ref["id"]]["title"])
        for ref in report["categories"]["accessibility"]["auditRefs"]
        if ref["weight"] > 0 and audits[ref["id"]]["score"] not in (None, 1)
    ]


def table(rows, version, browser):
    """The results as Markdown: one row per page, its score and what failed."""
    lines = [
        f"Lighthouse {version}, accessibility only, in {browser} (mobile emulation).",
        "",
        "| Page | Accessibility | Failed audits |",
        "|---|---:|---|",
    ]
    for path, score, failed in rows:
        lines.append(f"| `{path}` | {score} | {', '.join(a for a, _ in failed) or 'none'} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site, as `mkdocs build` left it")
    parser.add_argument("lighthouse", help="Lighthouse's program (node_modules/.bin/lighthouse)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where the table goes")
    args = parser.parse_args(argv)
    server = sitecheck.serve(args.site)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    rows, version, browser = [], None, None
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for path in map(sitecheck.page_url_path, sitecheck.site_pages(args.site)):
                report = measure(args.lighthouse, origin + path, Path(scratch) / "report.json")
                version = report["lighthouseVersion"]
                agent = report["environment"]["hostUserAgent"].split()
                browser = next(word for word in agent if "Chrome/" in word)
                score = round(report["categories"]["accessibility"]["score"] * 100)
                rows.append((path, score, failed_audits(report)))
                print(f"{score:>4}  {path}", flush=True)
    finally:
        server.shutdown()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table(rows, version, browser))
    print(f"Written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
