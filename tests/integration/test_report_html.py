"""``leadq report --html``: the page rendered in a real headless Chromium.

The test starts the system's Chromium itself (Debian's ``chromium``, which ``./dev``
installs) through Playwright, opens the written file, and checks what a reader sees:
the title, the funnel's numbers, every chart drawn with visible marks, the threshold
suggestion, no console or page errors, and no request beyond the file itself (the page
is self-contained). No browser is a failure, never a skip.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.unit import review_history
from tests.unit.test_report import Q1, run

pytestmark = pytest.mark.integration

#: Flags for a root sandbox with no network (the machine's closed network refuses
#: Chromium's own background connections).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
CHARTS = ("funnel", "score-bands", "reasons", "thresholds")


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no Chromium on PATH: ./dev test installs Debian's chromium (apt-get)")


@pytest.fixture(scope="module")
def browser(page_file: Path) -> Iterator[Browser]:
    # Depends on page_file so the report (which runs its own event loop) is written
    # before Playwright's synchronous API holds a loop in this thread.
    with sync_playwright() as playwright:
        started = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield started
        started.close()


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("html")
    rules, events = review_history.write(directory)
    compare = review_history.write(directory, 40)[0]
    page = directory / "review.html"
    code, out, err = run(
        ["report", "--rules", str(rules), "--compare", str(compare), str(events), *Q1,
         "--html", str(page)]
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out.startswith("Review of")  # the text report is still printed
    return page


@pytest.fixture
def opened(browser: Browser, page_file: Path) -> Iterator[tuple[Page, list[str], list[str]]]:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    yield page, errors, requests
    page.close()


def test_title_and_funnel_numbers(opened: tuple[Page, list[str], list[str]]) -> None:
    page, errors, requests = opened
    assert page.title() == "leadq review: 2026-01-01 to 2026-04-01"
    assert page.locator("h1").inner_text() == "leadq review: 2026-01-01 to 2026-04-01"
    funnel = page.locator('svg[data-chart="funnel"] text').all_text_contents()
    assert funnel == ["leads", "10", "MQL", "5", "SQL", "3", "sales accepted", "3",
                      "opportunities", "1", "won", "1"]  # fmt: skip
    tiles = {
        tile.get_attribute("data-metric"): tile.locator("b").inner_text()
        for tile in page.locator(".tile").all()
    }
    assert tiles["SAL rate"] == "42.9%"
    assert tiles["sales rejected"] == "4"
    assert tiles["won"] == "1 (40,000)"
    assert (errors, requests) == ([], [page_file_uri(page)])


def page_file_uri(page: Page) -> str:
    return page.url


@pytest.mark.parametrize("chart", CHARTS)
def test_every_chart_is_drawn(opened: tuple[Page, list[str], list[str]], chart: str) -> None:
    page, errors, _ = opened
    svg = page.locator(f'svg[data-chart="{chart}"]')
    assert svg.count() == 1
    box = svg.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 50
    marks = svg.locator("rect.bar, polyline.line")
    assert marks.count() > 0, f"{chart}: nothing drawn"
    sizes = [m.bounding_box() for m in marks.all()]
    assert all(b is not None and b["width"] > 0 and b["height"] > 0 for b in sizes), sizes
    assert "no data" not in (svg.text_content() or "")
    assert errors == []


def test_threshold_suggestion_and_backtest(opened: tuple[Page, list[str], list[str]]) -> None:
    page, _, _ = opened
    suggestion = page.locator("p.suggestion").inner_text()
    assert suggestion.startswith("Suggested MQL entry threshold: 60 (now 50): 2 accepted")
    marks = page.locator('svg[data-chart="thresholds"] line.mark')
    assert marks.count() == 2  # current and suggested
    backtest = page.locator("table").last.inner_text()
    assert "gained" in backtest
    assert "competitor 1" in backtest
    reasons = page.locator('svg[data-chart="reasons"] rect.bar').count()
    assert reasons == 3  # one week: timing, competitor, other stacked


def test_screenshot_is_a_whole_page(
    opened: tuple[Page, list[str], list[str]], tmp_path: Path
) -> None:
    page, _, _ = opened
    shot = tmp_path / "review.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 1500
