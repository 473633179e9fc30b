"""Screenshots of every console page, taken in Debian's Chromium (``docs/console/*.png``).

    python -m services.console.screenshots --url http://127.0.0.1:8004 \\
        --token-file var/demo/secrets/tokens.json --out docs/console

It browses as a clerk would: signs in as the district office, opens the overdue cases, the first
open sampling disposal, the lot it names, a business that received it, the appraisal and the
bulletin. Playwright for Python drives ``/usr/bin/chromium`` (apt package ``chromium``): no
browser is downloaded. Needs the ``dev`` extra (playwright).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# no background traffic: this machine's network is closed, and a test must not depend on it
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage")
OFFICE = "district-food-safety-office"


class ChromiumMissingError(RuntimeError):
    """Debian's chromium is not installed (``bash deploy/local/setup.sh`` installs it)."""


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright."""
    if not CHROMIUM.exists():
        msg = f"{CHROMIUM} is missing: run 'bash deploy/local/setup.sh' (apt package chromium)"
        raise ChromiumMissingError(msg)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Page, url: str, token: str) -> None:
    page.goto(f"{url}/")
    page.fill("#token", token)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url(f"{url}/cases**")


def take(url: str, token: str, out: Path, *, year: int = 2024) -> list[Path]:
    """One PNG per page into ``out``; returns the files."""
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="zh-CN")

        def shot(name: str) -> None:
            path = out / f"{name}.png"
            page.screenshot(path=str(path), full_page=True)
            shots.append(path)

        sign_in(page, url, token)
        shot("cases")
        page.goto(f"{url}/cases?view=open&kind=SD")
        page.click("table.cases tbody tr a")
        shot("case")
        page.click("dd a[href^='/lot?']")
        page.wait_for_selector("#trace-graph")
        shot("lot")
        page.click("table.scope a[href^='/entities/']")
        shot("entity")
        page.goto(f"{url}/appraisal?period={year}&by=township")
        shot("appraisal")
        page.goto(f"{url}/bulletin?period={year}")
        shot("bulletin")
        page.goto(f"{url}/lang/en?next=/cases")
        shot("cases-en")
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8004")
    parser.add_argument("--token-file", type=Path, default=Path("var/demo/secrets/tokens.json"))
    parser.add_argument("--out", type=Path, default=Path("docs/console"))
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args()
    token = json.loads(args.token_file.read_text(encoding="utf-8"))[OFFICE]
    for path in take(args.url.rstrip("/"), token, args.out, year=args.year):
        print(path)


if __name__ == "__main__":
    main()
