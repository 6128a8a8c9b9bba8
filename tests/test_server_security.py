"""The served workbench under hostile clients: real `govaudit app` servers on free ports, real websocket
clients and a real Chromium (issue 16, items 2, 6 and 9)."""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest
import websocket
from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1, serialize_msg_to_ws_v1

from browser import CHROMIUM, CHROMIUM_ARGS, offline, running_app, watch_failures
from conftest import SEEDS
from govaudit.ui import serve

V1 = "v1.kernel.websocket.jupyter.org"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("secure")
    data = base / "reports"
    shutil.copytree(SEEDS, data)
    return data, f"sqlite:///{base / 'reviews.db'}", base


def get(url: str, *, headers: dict | None = None, opener=None, data: bytes | None = None):
    """(status, headers, body) of a request; HTTP errors are answers too."""
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=90) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def kernel_id(page_html: str) -> str:
    return re.search(r'"kernelId": *"([^"]+)"', page_html).group(1)


def channels(url: str, kid: str, *, query: str = "", **kw) -> websocket.WebSocket:
    ws_url = url.replace("http://", "ws://") + f"api/kernels/{kid}/channels?session_id={uuid.uuid4().hex}{query}"
    return websocket.create_connection(ws_url, timeout=20, **kw)


def message(msg_type: str, content: dict, session: str, metadata: dict | None = None) -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session, "username": "t",
                       "date": "2026-01-01T00:00:00Z", "version": "5.3"},
            "parent_header": {}, "metadata": metadata or {}, "content": content}


def v1_frame(msg: dict) -> bytes:
    return serialize_msg_to_ws_v1(msg, "shell", pack=lambda part: json.dumps(part).encode())


def widget_state_request(session: str) -> list[dict]:
    """What a widget manager sends to get every widget's state (the reply carries the buffers)."""
    comm = uuid.uuid4().hex
    return [message("comm_open", {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}},
                    session, {"version": "1.0.0"}),
            message("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}}, session)]


def rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


# --- item 2: the websocket denial of service -----------------------------------------------

def test_bounded_v1_reader():
    good = v1_frame(message("comm_msg", {"data": {}}, "s"))
    assert serve.read_header_v1(good)["msg_type"] == "comm_msg"
    started = time.perf_counter()
    for bad in ((2**62).to_bytes(8, "little") + bytes(64),          # a count of offsets from the legacy format
                (3).to_bytes(8, "little") + (2**40).to_bytes(8, "little") * 3,
                b"\x00\x00\x00\x03" + bytes(60), b"", b"{}", "text"):
        assert serve.read_header_v1(bad) is None and serve.v1_offsets(bad) is None
    assert time.perf_counter() - started < 0.1


def test_malformed_websocket_messages_leave_the_server_serving(workspace):
    data, db, base = workspace
    with running_app(data, db, log=base / "dos.log") as url:
        status, _, page = get(url)
        assert status == 200
        kid = kernel_id(page)
        before = rss_mib(url.pid)

        # the attack of issue 16: no subprotocol (legacy framing), then a widget-state request
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            channels(url, kid)
        assert refused.value.status_code == 400
        # with v1 offered: a frame whose offset count is 2**62 (jupyter_server's v1 parser has the same loop),
        # and the legacy JSON widget-state request; each closes that connection only
        for frame in ((2**62).to_bytes(8, "little") + bytes(64), json.dumps(widget_state_request("x")[1])):
            ws = channels(url, kid, subprotocols=[V1])
            assert ws.getsubprotocol() == V1
            ws.send_binary(frame) if isinstance(frame, bytes) else ws.send(frame)
            with pytest.raises(websocket.WebSocketConnectionClosedException):
                while True:
                    ws.recv()
            assert ws.status == 101

        started = time.monotonic()
        status, _, other = get(url)                     # another client still gets a page
        page_s = time.monotonic() - started
        assert status == 200 and "kernelId" in other
        time.sleep(2)
        grown = rss_mib(url.pid) - before
        print(f"\nserver RSS {before:.0f} MiB before, +{grown:.1f} MiB after the malformed messages; "
              f"next page {page_s:.2f} s")
        assert grown < 64 and page_s < 60

        # the widget manager's own path still works: v1 request, update_states with every widget's state
        ws = channels(url, kernel_id(other), subprotocols=[V1])
        session = uuid.uuid4().hex
        for m in widget_state_request(session):
            ws.send_binary(v1_frame(m))
        deadline = time.monotonic() + 30
        states = None
        while states is None and time.monotonic() < deadline:
            frame = ws.recv()
            channel, parts = deserialize_msg_from_ws_v1(frame)
            content = json.loads(parts[3])
            if json.loads(parts[0])["msg_type"] == "comm_msg" and content["data"].get("method") == "update_states":
                states = content["data"]["states"]
        ws.close()
        assert states and len(states) > 20
    log = (base / "dos.log").read_text()
    assert "Refusing kernel websocket without the v1" in log and "malformed frame" in log


# --- item 6: login, Host and Origin checks, kernel cap ------------------------------------------

def test_host_allow_list_and_websocket_origin(workspace):
    data, db, base = workspace
    with running_app(data, db, log=base / "host.log", args=["--allow-host", "audit.example.gov.cn"]) as url:
        port = url.port
        static = url + "voila/static/voila.js"
        assert get(static, headers={"Host": f"rebind.attacker.example:{port}"})[0] == 403
        status, _, body = get(url, headers={"Host": f"rebind.attacker.example:{port}"})
        assert status == 403 and "拒绝访问" in body            # refused before any kernel starts
        for ok in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", f"audit.example.gov.cn:{port}"):
            assert get(static, headers={"Host": ok})[0] == 200, ok

        status, _, page = get(url)
        kid = kernel_id(page)
        for origin in ("http://rebind.attacker.example", f"http://localhost:{port + 1}", "null"):
            with pytest.raises(websocket.WebSocketBadStatusException) as refused:
                channels(url, kid, subprotocols=[V1], origin=origin)
            assert refused.value.status_code == 403, origin
        for origin in (f"http://127.0.0.1:{port}", "https://audit.example.gov.cn"):
            channels(url, kid, subprotocols=[V1], origin=origin).close()


def test_a_team_server_requires_a_login(workspace):
    data, db, base = workspace
    env = {**os.environ, "GOVAUDIT_PASSWORD": "审核-口令-2026"}
    with running_app(data, db, log=base / "team.log", args=["--ip", "0.0.0.0", "--password"], env=env) as url:
        status, _, body = get(url)                          # no login: the Chinese login page, no kernel
        assert status == 200 and "口令或令牌" in body and "kernelId" not in body
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, _, form = get(url + "login", opener=browser)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)

        def login(password):
            body = urllib.parse.urlencode({"_xsrf": xsrf, "password": password}).encode()
            return get(url + "login?next=%2F", opener=browser, data=body)
        status, _, body = login("wrong")
        assert status == 401 and "口令或令牌不正确" in body
        status, _, page = login("审核-口令-2026")
        assert status == 200 and "kernelId" in page
        kid = kernel_id(page)
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:      # no cookie: no kernel
            channels(url, kid, subprotocols=[V1])
        assert refused.value.status_code == 403

        # the secrets are neither on the command line nor in a kernel's environment
        server = psutil.Process(url.pid)
        assert "审核-口令" not in " ".join(server.cmdline())
        kernels = ipykernels(url.pid)
        assert kernels
        for k in kernels:
            environ = k.environ()
            assert "GOVAUDIT_PASSWORD" not in environ and serve.GUARD_ENV not in environ
    out = (base / "team.log").read_text()
    assert "需登录（口令）" in out


def test_a_token_is_made_when_serving_a_team_without_one(workspace):
    data, db, base = workspace
    with running_app(data, db, log=base / "token.log", args=["--ip", "0.0.0.0"]) as url:
        token = re.search(r"\?token=([\w-]+)", (base / "token.log").read_text()).group(1)
        assert len(token) >= 30
        status, _, body = get(url)
        assert "口令或令牌" in body and "kernelId" not in body
        status, _, page = get(url + f"?token={token}")
        assert status == 200 and "kernelId" in page
        kid = kernel_id(page)
        with pytest.raises(websocket.WebSocketBadStatusException):
            channels(url, kid, subprotocols=[V1])
        channels(url, kid, subprotocols=[V1], query=f"&token={token}").close()
        server = psutil.Process(url.pid)
        assert token not in " ".join(server.cmdline())


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing (make test installs it)", pytrace=False)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.blocked = offline(page)
    page.failed = watch_failures(page)
    started = time.monotonic()
    page.goto(url)
    return page, started


def test_kernel_cap_shows_a_busy_page_and_frees_on_close(workspace, browser):
    data, db, base = workspace
    with running_app(data, db, log=base / "cap.log", args=["--max-kernels", "1"]) as url:
        first, _ = open_page(browser, url)
        first.locator("table.dataTable tbody tr").first.wait_for(timeout=90_000)

        status, headers, body = get(url)
        assert status == 503 and "服务繁忙" in body and headers["Retry-After"] == "60"
        second, _ = open_page(browser, url)
        second.get_by_text("服务繁忙").wait_for(timeout=10_000)
        assert second.get_by_text("上限 1 个").count() == 1

        first.close(run_before_unload=True)            # the page's kernel is shut down as the tab closes
        deadline = time.monotonic() + 30
        while get(url + "voila/static/voila.js")[0] == 200 and time.monotonic() < deadline:
            if len(ipykernels(url.pid)) <= 1:
                break
            time.sleep(0.5)
        second.reload()
        second.locator("table.dataTable tbody tr").first.wait_for(timeout=90_000)
        second.context.close()


def ipykernels(pid: int) -> list:
    """The live kernels under the server; one that has just exited (a zombie, or gone) is not counted."""
    kernels = []
    for child in psutil.Process(pid).children():
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                kernels.append(child)
        except psutil.NoSuchProcess:               # ZombieProcess is one: a kernel being shut down
            pass
    return kernels


def pool_filled(log: Path, timeout: float = 120) -> None:
    """Wait until Voila says the preheat pool is full after the last time a page took a kernel from it."""
    deadline = time.monotonic() + timeout
    while "is filled with" not in log.read_text(errors="replace").rsplit("Using pre-heated kernel", 1)[-1]:
        assert time.monotonic() < deadline, "the preheat pool did not fill"
        time.sleep(0.5)


def test_two_tabs_open_on_preheated_kernels_and_only_pages_count_against_the_cap(workspace, browser):
    """Two pooled kernels: a second tab does not wait for a cold kernel. The cap counts the kernels pages hold,
    never the pool's, also while the pool refills (its kernels are starting right after the tabs took theirs)."""
    data, db, base = workspace
    log = base / "pool.log"
    with running_app(data, db, log=log, args=["--max-kernels", "2"]) as url:
        pool_filled(log)
        first, _ = open_page(browser, url)
        first.locator("table.dataTable tbody tr").first.wait_for(timeout=90_000)
        second, _ = open_page(browser, url)
        second.locator("table.dataTable tbody tr").first.wait_for(timeout=90_000)
        assert log.read_text(errors="replace").count("Using pre-heated kernel") == 2
        assert get(url)[0] == 503                      # two pages hold two kernels, the refilling pool none
        pool_filled(log)
        assert get(url)[0] == 503                      # the refilled pool is ready and still not counted
        assert len(ipykernels(url.pid)) == 4           # two in tabs, two preheated
        first.close(run_before_unload=True)
        deadline = time.monotonic() + 30
        while len(ipykernels(url.pid)) > 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        third, _ = open_page(browser, url)
        third.locator("table.dataTable tbody tr").first.wait_for(timeout=90_000)
        for page in (second, third):
            page.context.close()


# --- item 9: offline means offline ----------------------------------------------------------

def test_pages_make_no_outside_request_and_none_fails(workspace, browser):
    """Login page, then the workbench, with every request that leaves the machine blocked."""
    data, db, base = workspace
    token = uuid.uuid4().hex
    with running_app(data, db, log=base / "offline.log", args=["--token", token]) as url:
        page, _ = open_page(browser, url)
        page.get_by_label("口令或令牌").fill(token)
        started = time.monotonic()
        page.get_by_role("button", name="登录").click()
        page.locator("table.dataTable tbody tr").first.wait_for(timeout=90_000)
        shown = time.monotonic() - started
        icon = page.locator("button i.fa-arrow-down").first
        icon.wait_for(timeout=30_000)
        font = icon.evaluate("e => getComputedStyle(e, '::before').fontFamily")
        assert "Font Awesome" in font and icon.bounding_box()["width"] > 4
        page.wait_for_load_state("networkidle")
        assert "cdn.jsdelivr.net" not in page.content()
        print(f"\nworkbench shown {shown:.1f} s after login; outside requests {page.blocked}; failed {page.failed}")
        assert page.blocked == [] and page.failed == []
        page.context.close()
