"""The page of ``dtsim serve`` in a real browser: Playwright driving Debian's Chromium against a
uvicorn server running in a thread. Every test saves screenshots under its pytest tmp dir (the
named ones also under ``$DTSIM_WEB_SCREENSHOTS`` when that is set: ``docs/figures/web``).

Chromium must be installed (``apt-get update && apt-get install -y chromium``); without it these
tests fail, they are never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import dtsim
from dtsim import service
from dtsim.web import create_app
from dtsim.web.server import running

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}
CARD_KEYS = (
    "c_actual",
    "c_local",
    "c_quality",
    "strict_threshold_multiple",
    "cost_usd",
    "wall_clock_days",
    "compute_utilization",
)
REFERENCE = service.examples()["reference-72"]["scenario"]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app on a free port of 127.0.0.1, served by uvicorn in a thread."""
    with running(create_app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): the browser tests drive Debian's Chromium; "
            "install it with `apt-get update && apt-get install -y chromium`"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Console:
    """What the page printed: console messages by type, uncaught errors, requested URLs."""

    def __init__(self, page: Page) -> None:
        self.messages: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def of(self, *kinds: str) -> list[str]:
        return [text for kind, text in self.messages if kind in kinds]


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    page.screenshot(path=str(tmp_path / f"{request.node.name}-end.png"))
    context.close()


@pytest.fixture
def shoot(tmp_path: Path) -> Any:
    """``shoot(page, name)``: a screenshot in the test's tmp dir; with ``docs=True`` also in
    ``$DTSIM_WEB_SCREENSHOTS`` when set (``docs/figures/web`` is made so)."""

    def save(page: Page, name: str, *, docs: bool = False) -> None:
        shot = tmp_path / f"{name}.png"
        page.screenshot(path=str(shot))
        extra = os.environ.get("DTSIM_WEB_SCREENSHOTS")
        if extra and docs:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, Path(extra) / shot.name)

    return save


def open_page(page: Page, url: str) -> Console:
    console = Console(page)
    page.goto(url)
    page.wait_for_selector("body[data-ready=true][data-busy=false]")
    return console


def settle(page: Page) -> None:
    """Wait until the inputs' answers are all shown (the page marks ``body[data-busy]``)."""
    page.wait_for_selector("body[data-busy=true]", state="attached", timeout=5_000)
    page.wait_for_selector("body[data-busy=false]", state="attached")


def api(page: Page, url: str, path: str, body: dict[str, Any]) -> Any:
    response = page.request.post(
        url + path.lstrip("/"), data=json.dumps(body), headers={"content-type": "application/json"}
    )
    return response.json()


def cards(page: Page) -> dict[str, str]:
    return {
        key: page.get_attribute(f'.card[data-key="{key}"] .card-value', "data-value") or ""
        for key in (*CARD_KEYS, "bottleneck")
    }


def assert_cards_show(page: Page, result: dict[str, Any]) -> None:
    shown = cards(page)
    for key in CARD_KEYS:
        assert float(shown[key]) == result[key], key
    assert shown["bottleneck"] == result["bottleneck"]


def scenario_in_url(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


# --------------------------------------------------------------------------------------------


def test_page_loads_without_console_errors(page: Page, server: str, shoot: Any) -> None:
    console = open_page(page, server)
    shoot(page, "page", docs=True)
    assert console.errors == []
    assert console.of("error", "warning") == []
    assert all(url.startswith(server) for url in console.requests), "the page reached outside its server"
    assert_cards_show(page, dtsim.simulate(REFERENCE).to_dict())
    for chart in ("eta", "time", "nodes", "bandwidth", "sweep"):
        assert page.locator(f'[data-chart="{chart}"] svg').count() >= 1, chart
    assert page.locator("#form [data-path]").count() == len(service.schema())
    unlabelled = page.evaluate(
        "() => [...document.querySelectorAll('input, select')]"
        ".filter((c) => !(c.labels && c.labels.length) && !c.closest('label')).map((c) => c.id || c.name)"
    )
    assert unlabelled == []
    assert page.locator(".section summary").all_inner_texts()[:3] == ["General", "Hardware", "Model"]


def test_changing_nodes_and_bandwidth_updates_the_cards(page: Page, server: str, shoot: Any) -> None:
    open_page(page, server)
    page.fill("#f-nodes", "500")
    settle(page)
    page.fill("#f-network-wan-bandwidth_mbps", "25")
    settle(page)
    shoot(page, "nodes-and-bandwidth")
    scenario = {**REFERENCE, "nodes": 500, "network": {"wan": {"bandwidth_mbps": 25}}}
    answer = api(page, server, "/api/simulate", {"scenario": scenario})
    assert_cards_show(page, answer["result"])
    assert answer["result"]["c_local"] == dtsim.simulate(scenario).c_local
    params = scenario_in_url(page)
    assert (params["nodes"], params["network.wan.bandwidth_mbps"]) == ("500", "25")
    first_step = page.locator("#explain tbody tr").first.get_attribute("data-step")
    assert first_step == answer["explain"][0]["name"]


def test_permalink_reproduces_the_view(page: Page, server: str, browser: Browser, shoot: Any) -> None:
    open_page(page, server)
    page.check('input[name="physics-switch"][value="revised"]')
    settle(page)
    page.fill("#f-nodes", "144")
    settle(page)
    page.select_option("#sweep-path", "training.mfu")
    page.click("#tab-explain")
    page.wait_for_selector("body[data-busy=false]", state="attached")
    link = page.url
    before = cards(page)
    assert scenario_in_url(page)["physics"] == "revised"

    other = browser.new_context(viewport=VIEWPORT).new_page()
    console = open_page(other, link)
    assert console.errors == []
    assert cards(other) == before
    assert other.input_value("#f-nodes") == "144"
    assert other.is_checked('input[name="physics-switch"][value="revised"]')
    assert other.get_attribute("#tab-explain", "aria-selected") == "true"
    assert other.is_visible("#panel-explain") and not other.is_visible("#panel-charts")
    assert other.input_value("#sweep-path") == "training.mfu"
    assert other.url == link
    shoot(other, "explain", docs=True)
    other.context.close()


def test_compare_mode_shows_both_scenarios(page: Page, server: str, shoot: Any) -> None:
    open_page(page, server)
    page.click("#pin")
    settle(page)
    page.fill("#f-nodes", "1000")
    settle(page)
    a = dtsim.simulate(REFERENCE).to_dict()
    b = api(page, server, "/api/simulate", {"scenario": {**REFERENCE, "nodes": 1000}})["result"]
    assert_cards_show(page, b)
    shoot(page, "compare", docs=True)
    compare = page.inner_text('.card[data-key="c_local"] .card-compare')
    assert compare.split("\n") == ["A 1.75 × 10²⁵", f"× {b['c_local'] / a['c_local']:.3g}"]
    assert "changed" in (page.get_attribute('.field[data-field="nodes"]', "class") or "")
    assert "pin=" in page.url
    page.click("#tab-compare")
    row = page.locator('#compare tr[data-key="c_local"] td')
    assert float(row.nth(0).get_attribute("data-value") or "nan") == a["c_local"]
    assert float(row.nth(1).get_attribute("data-value") or "nan") == b["c_local"]
    assert page.locator("#compare tr.differs").count() > 5
    shoot(page, "compare-table")
    assert page.locator('[data-chart="nodes"] svg').count() >= 1
    page.click("#unpin")
    settle(page)
    assert page.inner_text('.card[data-key="c_local"] .card-compare') == ""


def test_invalid_value_shows_inline_error_and_no_stale_result(page: Page, server: str, shoot: Any) -> None:
    open_page(page, server)
    page.fill("#f-nodes", "abc")
    settle(page)
    message = api(page, server, "/api/simulate", {"scenario": {**REFERENCE, "nodes": "abc"}})["detail"][0]["msg"]
    assert page.inner_text("#f-nodes-error") == message == "nodes = 'abc': expected a number, got str"
    assert page.get_attribute("#f-nodes", "aria-invalid") == "true"
    assert set(cards(page).values()) == {""}
    assert page.locator('[data-chart="nodes"] svg').count() == 0
    assert message in page.inner_text("#problem")
    shoot(page, "invalid", docs=True)

    page.fill("#f-nodes", "72")
    page.fill("#f-network-wan-bandwidth_mbps", "-1")
    settle(page)
    assert "network.wan.bandwidth_mbps = -1" in page.inner_text("#f-network-wan-bandwidth_mbps-error")
    assert page.is_hidden("#f-nodes-error")
    assert set(cards(page).values()) == {""}

    page.fill("#f-network-wan-bandwidth_mbps", "100")
    settle(page)
    assert_cards_show(page, dtsim.simulate({**REFERENCE, "network": {"wan": {"bandwidth_mbps": 100}}}).to_dict())
    assert page.is_hidden("#f-network-wan-bandwidth_mbps-error") and page.is_hidden("#problem")


def test_analysis_panel_and_exports(page: Page, server: str, shoot: Any) -> None:
    open_page(page, server)
    page.click("#tab-analyses")
    page.wait_for_selector('.analysis[data-analysis="nodes_for_target"] td[data-key="nodes"]')
    expected = dtsim.analyze("nodes_for_target", scenario=REFERENCE, target=1e25)
    shown = page.get_attribute('.analysis[data-analysis="nodes_for_target"] td[data-key="nodes"]', "data-value")
    assert int(shown or 0) == expected["nodes"]
    page.locator("#panel-analyses").scroll_into_view_if_needed()
    shoot(page, "analyses", docs=True)
    page.click(".analysis .use")
    settle(page)
    assert page.input_value("#f-nodes") == str(expected["nodes"])

    page.click("#export-menu summary")
    with page.expect_download() as download:
        page.click('[data-export="scenario:yaml"]')
    text = Path(download.value.path()).read_text("utf-8")
    assert text == service.scenario_text({**REFERENCE, "nodes": expected["nodes"]}, "yaml")
    page.click("#tab-charts")
    with page.expect_download() as download:
        page.click('[data-chart="nodes"] .chart-tools button:has-text("SVG")')
    assert Path(download.value.path()).read_text("utf-8").startswith("<svg")
    with page.expect_download() as download:
        page.click('[data-chart="bandwidth"] .chart-tools button:has-text("PNG")')
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
