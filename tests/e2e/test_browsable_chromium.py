"""The browsable page in a real browser: headless Chromium over DevTools.

What a person sees: the page's title and heading, the site's own styles,
a link in the list that a click follows to flight 325's page, and no error in
the console. Debian's ``chromium`` package is installed once per session when
it is missing (CI runs as root).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.e2e.seeded import Apps

Client = TestClient[web.Request, web.Application]

CHROMIUM = "/usr/bin/chromium"
STEP_TIMEOUT = 20.0  # seconds for any one browser step
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--hide-scrollbars",
    "--window-size=1280,900",
    "--remote-debugging-port=0",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed with apt-get when it is missing."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(
            f"{CHROMIUM} is missing and cannot be installed here: the browser test "
            "needs root and apt-get (`apt-get install -y chromium`)"
        )
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait = ["-o", "DPkg::Lock::Timeout=300"]  # another session may be installing
    for command in (
        ["apt-get", *wait, "update"],
        ["apt-get", *wait, "install", "-y", "chromium"],
    ):
        done = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=900
        )
        if done.returncode != 0:
            pytest.fail(
                f"installing Chromium failed: `{' '.join(command)}` exited "
                f"{done.returncode}\n{done.stderr[-2000:]}"
            )
    if not Path(CHROMIUM).exists():
        pytest.fail(f"apt-get installed chromium but {CHROMIUM} is not there")
    return CHROMIUM


class DevTools:
    """A small client of the DevTools protocol on one page target."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.events: list[dict[str, Any]] = []
        self._calls = 0
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result."""
        self._calls += 1
        reply = asyncio.get_running_loop().create_future()
        self._replies[self._calls] = reply
        await self.socket.send_json(
            {"id": self._calls, "method": method, "params": params}
        )
        answer = await asyncio.wait_for(reply, STEP_TIMEOUT)
        assert "error" not in answer, f"{method}: {answer['error']}"
        result: dict[str, Any] = answer["result"]
        return result

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    async def event(self, method: str, after: int) -> dict[str, Any]:
        """The first ``method`` event at or past index ``after``."""
        async with asyncio.timeout(STEP_TIMEOUT):
            while True:
                for event in self.events[after:]:
                    if event["method"] == method:
                        return event
                self._arrived.clear()
                await self._arrived.wait()

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self.socket.close()

    async def _read(self) -> None:
        async for message in self.socket:
            data = json.loads(message.data)
            if "id" in data:
                self._replies.pop(data["id"]).set_result(data)
            else:
                self.events.append(data)
                self._arrived.set()


@pytest.fixture
async def browser(chromium: str, tmp_path: Path) -> AsyncIterator[DevTools]:
    """A headless Chromium with DevTools attached to its one page."""
    profile = tmp_path / "profile"
    log = (tmp_path / "chromium.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        chromium,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=log,
        stderr=log,
    )
    session = aiohttp.ClientSession()
    tools: DevTools | None = None
    try:
        port = await _devtools_port(profile / "DevToolsActivePort", process)
        async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json()
        page = next(t for t in targets if t["type"] == "page")
        socket = await session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        tools = DevTools(socket)
        for domain in ("Page", "Runtime", "Log"):
            await tools.call(f"{domain}.enable")
        yield tools
    finally:
        if tools is not None:
            await tools.close()
        await session.close()
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


async def _devtools_port(active_port: Path, process: asyncio.subprocess.Process) -> int:
    async with asyncio.timeout(STEP_TIMEOUT):
        while not active_port.exists() or not active_port.read_text().strip():
            assert process.returncode is None, "Chromium exited at start"
            await asyncio.sleep(0.05)
    return int(active_port.read_text().split()[0])


async def open_page(tools: DevTools, url: str) -> None:
    """Navigate and wait until the page has loaded."""
    mark = len(tools.events)
    await tools.call("Page.navigate", url=url)
    await tools.event("Page.loadEventFired", mark)


async def click(tools: DevTools, selector: str) -> None:
    """Click the element like a person: a mouse press and release on it."""
    box = await tools.evaluate(
        f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            el.scrollIntoView({{block: "center"}});
            const r = el.getBoundingClientRect();
            return {{x: r.x + r.width / 2, y: r.y + r.height / 2,
                     width: r.width, height: r.height}};
        }})()"""
    )
    assert box["width"] > 0 and box["height"] > 0, f"{selector} is not visible"
    mark = len(tools.events)
    for kind in ("mousePressed", "mouseReleased"):
        await tools.call(
            "Input.dispatchMouseEvent",
            type=kind,
            x=box["x"],
            y=box["y"],
            button="left",
            clickCount=1,
        )
    await tools.event("Page.loadEventFired", mark)


def console_errors(events: list[dict[str, Any]]) -> list[str]:
    """Errors the page's console would show."""
    found = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            found.append(json.dumps(params["exceptionDetails"]))
        elif method == "Runtime.consoleAPICalled" and params["type"] in (
            "error",
            "assert",
        ):
            found.append(json.dumps(params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            found.append(f"{entry.get('url', '')}: {entry['text']}")
    return found


@pytest.mark.timeout(900)  # covers a first-time install of Chromium
async def test_a_person_follows_a_link_from_the_list_to_flight_325(
    seeded_apps: Apps, browser: DevTools, tmp_path: Path
) -> None:
    api = await seeded_apps.shared()
    seen = tmp_path / "flight-325.png"
    base = f"http://{api.host}:{api.port}"
    flight = f"{base}/2.2.0/spacecraft/flight/325/"

    await open_page(browser, f"{base}/2.2.0/spacecraft/flight/?limit=5")
    listed = await browser.evaluate(
        """({title: document.title,
             heading: document.querySelector("h1").innerText,
             background: getComputedStyle(
                 document.querySelector("pre.response")).backgroundColor,
             links: [...document.querySelectorAll("pre.response a")]
                 .map(a => a.href)})"""
    )
    await click(browser, f'pre.response a[href="{flight}"]')
    detail = await browser.evaluate(
        """({title: document.title, url: location.href,
             heading: document.querySelector("h1").innerText,
             text: document.querySelector("pre.response").innerText})"""
    )
    shot = await browser.call("Page.captureScreenshot", format="png")
    seen.write_bytes(base64.b64decode(shot["data"]))

    assert listed["title"] == "Spacecraft Flight List – Flightlog"
    assert listed["heading"] == "Spacecraft Flight List"
    assert listed["background"] == "rgb(246, 248, 250)"  # the local stylesheet
    assert flight in listed["links"]
    assert detail["title"] == "Spacecraft Flight Instance – Flightlog"
    assert detail["heading"] == "Spacecraft Flight Instance"
    assert detail["url"] == flight
    assert detail["text"].startswith("HTTP 200 OK\nAllow: GET\n")
    assert '    "id": 325,\n' in detail["text"]
    assert '"name": "Sigmund Jähn"' in detail["text"]
    assert seen.read_bytes().startswith(PNG_SIGNATURE)
    assert seen.stat().st_size > 10_000
    assert console_errors(browser.events) == []


@pytest.mark.timeout(900)
async def test_format_api_page_links_carry_format_api(
    seeded_apps: Apps, browser: DevTools
) -> None:
    api = await seeded_apps.shared()
    base = f"http://{api.host}:{api.port}"

    await open_page(browser, f"{base}/2.2.0/spacecraft/flight/?format=api&limit=3")
    page = await browser.evaluate(
        """({next: document.querySelector('nav.pager a[rel="next"]').href,
             links: [...document.querySelectorAll("pre.response a")]
                 .map(a => a.href)})"""
    )
    await click(browser, 'nav.pager a[rel="next"]')
    following = await browser.evaluate("location.href")

    api_urls = [
        link for link in page["links"] if "/2.2.0/" in link and "/flight/?" not in link
    ]
    assert len(api_urls) > 20
    assert all(link.endswith("/?format=api") for link in api_urls), api_urls
    assert (
        page["next"] == f"{base}/2.2.0/spacecraft/flight/?format=api&limit=3&offset=3"
    )
    assert following == page["next"]
    assert console_errors(browser.events) == []
