"""Browser journeys: real nodes (tests/conftest.py `node_factory`) driven through Debian's Chromium by Playwright.

* One Chromium per pytest worker, started here with the flags this network needs (without the background-networking
  ones Chromium's own connections are refused many at a time) and reached over the DevTools protocol. Playwright's
  browser download cannot work here; `make test` installs Debian's `chromium` (target `chromium` in the Makefile).
* Each test gets its own browser context (cookies, viewport, JavaScript on or off) on the worker's browser. The
  journeys share the worker's one event loop and Playwright driver (`BROWSER_LOOP`: every module of this package
  sets it as `pytestmark`), so their nodes come from this package's own `node_factory`.
* Every journey runs three ways (`MODES`): JavaScript on at desktop size, JavaScript off, and a 360×640 phone; a long
  one may run in fewer (`only_modes`) when a shorter journey covers its pages in the others.
* `Journey.arrived()` runs axe-core (axe-playwright-python, which bundles it) on each page the journey reaches and the
  test fails listing every serious or critical violation. axe is JavaScript, so it runs in the two JavaScript modes;
  the pages are server-rendered, so the HTML checked there is the HTML the JavaScript-off run receives.
* Screenshots of the main pages go to `test-artifacts/browser/<test>/` at the repository root (git-ignored; CI keeps
  what is under `test-artifacts/`).

A journey for a new area is a test function taking `journey_for` (and `node_factory`), in a module that sets
`pytestmark = BROWSER_LOOP`: open a page with
`journey.goto(path)`, act through labels and button names as a person would (`fill`, `press`), then
`await journey.arrived("name")` after each navigation; the accessibility check and the screenshot come with it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from axe_playwright_python.base import AXE_FILE_PATH
from babel.support import Translations
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.conftest import Node, Servers
from tests.conftest import nodes as started_nodes
from web.i18n import load_catalogs

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
FAILING_IMPACTS = frozenset({"serious", "critical"})
# axe-core (bundled by axe-playwright-python) is added to every page of a JavaScript context when it is created
# (`add_init_script`), so Chromium loads it from the context's own copy: sent with each check, its 570 kB took about
# as long as the check itself.
AXE_RUN = "options => axe.run(document, options)"
MEASURED_CONTRAST = re.compile(r"has a [0-9.]+:1 contrast ratio")


@dataclass(frozen=True)
class Mode:
    name: str
    javascript: bool
    width: int
    height: int


MODES = (
    Mode("desktop", javascript=True, width=1280, height=800),
    Mode("nojs", javascript=False, width=1280, height=800),
    Mode("phone", javascript=True, width=360, height=640),
)


@cache
def _catalogs() -> dict[str, Translations]:
    return load_catalogs()


def t(lang: str, message: str, **params: Any) -> str:
    """`message` as the node shows it in `lang` (the English message id where a catalog lacks it)."""
    text: str = _catalogs()[lang].gettext(message)
    return text % params if params else text


def es(message: str, **params: Any) -> str:
    return t("es", message, **params)


def labelled(label: str) -> re.Pattern[str]:
    """A field's accessible name: its label, maybe followed by "(optional)" in the page's language."""
    return re.compile(rf"^{re.escape(label)}(\s*\(.*\))?$")


@pytest.fixture(scope="session")
def chromium() -> Iterator[str]:
    """The worker's Chromium, headless, listening for DevTools on a free loopback port; its endpoint URL."""
    if not CHROMIUM.exists():
        pytest.fail("The browser tests need Debian's chromium at /usr/bin/chromium: run `make test` as root once, "
                    "or `sudo apt-get install --no-install-recommends chromium`.")  # fmt: skip
    profile = Path(tempfile.mkdtemp(prefix="deliberate-chromium-"))
    process = subprocess.Popen(
        [str(CHROMIUM), *CHROMIUM_FLAGS, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Chromium did not start (exit code {process.poll()})")
            time.sleep(0.05)
        port = port_file.read_text().splitlines()[0]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


# The journeys run in the worker's one event loop (`BROWSER_LOOP`, put on every module of this package as
# `pytestmark`), so one Playwright driver and one DevTools connection serve them all: starting the driver took about
# a second and a half per test. The nodes a journey starts live in that loop too, hence this package's own
# `node_factory` and `node` (the same body as everywhere else); each test still gets its own nodes and contexts.
BROWSER_LOOP = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def node_factory(servers: Servers) -> AsyncIterator[Any]:
    async with started_nodes(servers) as start:
        yield start


@pytest_asyncio.fixture(loop_scope="session")
async def node(node_factory: Any) -> Node:
    started: Node = await node_factory("ves", node_name="Villa El Salvador")
    return started


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        connected = await playwright.chromium.connect_over_cdp(chromium)
        try:
            yield connected
        finally:
            await connected.close()


@pytest.fixture(params=MODES, ids=[mode.name for mode in MODES])
def mode(request: pytest.FixtureRequest) -> Mode:
    chosen: Mode = request.param
    return chosen


def only_modes(*names: str) -> pytest.MarkDecorator:
    """Run a journey in some of the modes only: `@only_modes("desktop")` for a long journey whose pages a shorter
    one checks in the other modes (say so in its docstring)."""
    chosen = [mode for mode in MODES if mode.name in names]
    return pytest.mark.parametrize("mode", chosen, ids=[mode.name for mode in chosen])


@dataclass
class Journey:
    """One person's browser on one node: a context of its own, the pages it reached, what axe found there."""

    node: Node
    mode: Mode
    context: BrowserContext
    page: Page
    artifacts: Path
    checked: set[str]
    problems: list[str] = field(default_factory=list)
    shots: int = 0

    def url(self, path: str) -> str:
        return self.node.base_url + path

    @property
    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    async def goto(self, path: str, name: str | None = None) -> None:
        response = await self.page.goto(self.url(path))
        assert response is not None and response.status < 400, f"{path} answered {response and response.status}"
        await self.arrived(name)

    async def fill(self, label: str, value: str) -> None:
        await self.page.get_by_label(labelled(label)).fill(value)

    async def press(self, button: str, *, within: str | None = None) -> None:
        """Click the button named `button` (optionally inside the element matching CSS `within`) and wait for the
        page it leads to."""
        scope = self.page.locator(within) if within else self.page
        async with self.page.expect_navigation():
            await scope.get_by_role("button", name=button, exact=True).click()

    async def follow(self, link: str) -> None:
        async with self.page.expect_navigation():
            await self.page.get_by_role("link", name=link, exact=True).first.click()

    async def arrived(self, name: str | None = None) -> None:
        """The page now shown: check its accessibility once per URL, and keep a screenshot of the main pages."""
        await self.page.wait_for_load_state("load")
        if name and self.mode.name != "nojs":  # the same pages as on the desktop, without the live extras
            self.shots += 1
            self.artifacts.mkdir(parents=True, exist_ok=True)
            # JPEG: a full-page PNG took about 2.5 times as long to encode, and these are for people to look at.
            shot = self.artifacts / f"{self.shots:02d}-{name}.jpg"
            await self.page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=70)
        if not self.mode.javascript:
            return  # axe-core is JavaScript; the same server HTML is checked in the other two modes
        key = f"{self.path} {await self.page.title()}"
        if key in self.checked:
            return
        self.checked.add(key)
        results = await self.page.evaluate(AXE_RUN, {"resultTypes": ["violations", "incomplete"]})
        found = [(rule, rule["nodes"]) for rule in results["violations"]]
        # axe leaves text whose colours it measured at 1:1 "to review" (it might be hidden on purpose); on these
        # pages every such text is meant to be read, so a measured ratio is a finding like any other.
        found += [
            (rule, [node for node in rule["nodes"] if _measured_contrast(node)])
            for rule in results["incomplete"]
            if rule["id"] == "color-contrast"
        ]
        for rule, nodes in found:
            if rule.get("impact") in FAILING_IMPACTS and nodes:
                targets = ", ".join(" ".join(node["target"]) for node in nodes[:5])
                self.problems.append(f"{self.path}: {rule['impact']} {rule['id']}: {rule['help']} [{targets}]")


def _measured_contrast(node: dict[str, Any]) -> bool:
    return any(MEASURED_CONTRAST.search(check.get("message", "")) for check in node.get("any", []))


JourneyFor = Callable[..., Awaitable[Journey]]


async def grant(node: Node, username: str, *roles: str) -> None:
    """The node's operator gives `username` these roles (as `deliberate admin` would)."""
    conn = await node.connect()
    try:
        await conn.execute("UPDATE account SET roles = roles || $2::text[] WHERE username = $1", username, roles)
    finally:
        await conn.close()


async def new_context(browser: Browser, mode: Mode) -> BrowserContext:
    """A browser context (its own cookies) in `mode`, set as a person in Lima's would be, with axe-core on its pages
    when JavaScript is on."""
    context = await browser.new_context(
        java_script_enabled=mode.javascript,
        viewport={"width": mode.width, "height": mode.height},
        locale="es-PE",
        timezone_id="America/Lima",
    )
    context.set_default_timeout(15_000)
    if mode.javascript:
        await context.add_init_script(path=AXE_FILE_PATH)
    return context


@pytest_asyncio.fixture(loop_scope="session")
async def journey_for(browser: Browser, mode: Mode, request: pytest.FixtureRequest) -> AsyncIterator[JourneyFor]:
    """`await journey_for(node, "rosa")`: a fresh browser (its own cookies) for one person in this test's mode.
    At the end of the test, every page any of them reached must have passed axe."""
    journeys: list[Journey] = []
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    shutil.rmtree(ARTIFACTS / test_name, ignore_errors=True)  # an earlier run's screenshots are not this run's

    checked: set[str] = set()  # a page seen by two people in one test is checked once

    async def open_journey(node: Node, who: str = "visitor", *roles: str, signed_in: bool = False) -> Journey:
        """`signed_in`: `who` already has an account (with `roles`), made over HTTP, and this browser is signed in
        as them; for the people a journey needs but is not about (the registration journey covers the form)."""
        context = await new_context(browser, mode)
        if signed_in:
            visitor = await node.visitor()
            await visitor.register(who)
            if roles:
                await grant(node, who, *roles)
            host = node.base_url.split("//")[1].split(":")[0]
            cookies = visitor.cookies().items()
            await context.add_cookies([{"name": k, "value": v, "domain": host, "path": "/"} for k, v in cookies])
        page = await context.new_page()
        journey = Journey(node, mode, context, page, ARTIFACTS / test_name / who, checked)
        journeys.append(journey)
        return journey

    yield open_journey
    for journey in journeys:
        await journey.context.close()
    problems = [problem for journey in journeys for problem in journey.problems]
    assert not problems, "axe-core found serious or critical problems:\n" + "\n".join(dict.fromkeys(problems))
