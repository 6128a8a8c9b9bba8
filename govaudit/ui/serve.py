"""Launch Voila on a govaudit notebook with production flags and a guarded server.

No tracebacks to users, idle kernels culled, two preheated kernels so a page (and a
second tab) opens at once, theme/template not overridable from the URL. The data folder and database
reach the kernel through environment variables (its working directory is the
notebook's folder, so paths are made absolute here).

``govaudit app`` does not exec the ``voila`` script but ``python -m govaudit.ui.serve``:
this module imports Voila, applies the guards below, and runs it in the same process.

* Kernel websocket (Voila 0.5.13 denial of service): a client that connects without the
  ``v1.kernel.websocket.jupyter.org`` subprotocol gets messages in the legacy binary format, and
  Voila's ``read_header_from_binary_message`` reads their first 8 bytes as a count of offsets (a
  widget-state reply with buffers makes it ~10^18): the server loops, grows without bound and
  ignores SIGTERM. jupyter_server's ``deserialize_msg_from_ws_v1`` trusts the same count in what a
  client sends. Guard: connections that do not offer v1 are refused (400) before any message
  flows, every binary frame from a client is checked (count, offsets, length) before it reaches
  the parser, and Voila's header reader is replaced by a bounded one.
  Upstream: voila/tornado/kernel_websocket_handler.py should read the header only when
  ``self.selected_subprotocol`` is v1 and bound ``offset_number`` by ``len(ws_msg) // 8``;
  jupyter_server/services/kernels/connection/base.py ``deserialize_msg_from_ws_v1`` likewise.
  Pinned to the Voila versions in ``PATCHED_VOILA``; on another version the launcher says so.
* Host allow-list (DNS rebinding) for every request, and a strict Origin check on the kernel
  websocket (the Origin's host must be the Host, or an explicitly allowed name).
* Login: a token or a password (Jupyter server auth), with a Chinese login page.
* A cap on kernels in use: past it a page request gets 503 and a Chinese "服务繁忙" page. Kernels
  started to fill the preheat pool are marked from the moment their id is made (``track_pool``), so
  the pool's kernels, ready or starting, never count against the cap and pages' kernels always do.
* Offline: template links to outside hosts (Font Awesome from jsDelivr) are dropped; Voila's own
  bundle (voila-style.js) already carries Font Awesome, so every asset is served locally.
* Front-end extensions: a page loads only those it uses (``PAGE_EXTENSIONS``), not every one installed
  in the environment (an analyst's plotly, pygments from nbconvert).
* Loading text: Voila's "Running workbench..." / "Executing 1 of 1" while the page starts becomes
  Chinese (``LOADING_TEXT``), in the same template loader.
"""
from __future__ import annotations

import getpass
import html
import ipaddress
import json
import os
import re
import secrets
import socket
import sys
from pathlib import Path

import sqlalchemy as sa

from .. import store

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

GUARD_ENV = "GOVAUDIT_SERVE"          # launcher settings (JSON); removed before any kernel starts
V1 = "v1.kernel.websocket.jupyter.org"
PATCHED_VOILA = ("0.5.13",)           # versions the websocket patch was written and tested against
MAX_PARTS = 1024                      # channel + header/parent/metadata/content + buffers, per frame
DEFAULT_MAX_KERNELS = 10              # a workbench kernel holds ~300 MiB
POOL_SIZE = 2                         # preheated kernels: a second tab opens as fast as the first
FILL_DELAY = 6                        # seconds before the pool refills: a starting kernel (~3 s of CPU) would
                                      # slow the pages still opening (second tab 4.1 s with 1 s, 2.9 s with 6 s)
# the front-end extensions a page uses (widgets, Voila's widget manager, anywidget for the grid): any other
# installed in the environment (plotly's is 4.8 MB) would be fetched and parsed on every page
PAGE_EXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8", "anywidget")
LOADING_TEXT = {"workbench": "正在打开审核工作台…", "dashboard": "正在打开督查看板…"}


def is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def voila_command(notebook: Path, port: int, *, preheat: bool = True, ip: str = "127.0.0.1") -> list[str]:
    cmd = [sys.executable, "-m", "govaudit.ui.serve", str(notebook), f"--port={port}", "--no-browser",
           f"--Voila.ip={ip}", "--Voila.port_retries=0",
           "--show_tracebacks=False", "--Voila.config_file_paths=[]",
           "--VoilaConfiguration.allow_theme_override=NO", "--VoilaConfiguration.allow_template_override=NO",
           *(f"--VoilaConfiguration.extension_allowlist={name}" for name in PAGE_EXTENSIONS),
           "--MappingKernelManager.cull_interval=60", "--MappingKernelManager.cull_idle_timeout=900"]
    if preheat:
        cmd += ["--preheat_kernel=True", f"--pool_size={POOL_SIZE}", f"--VoilaKernelManager.fill_delay={FILL_DELAY}"]
    return cmd


def absolute_url(url: str | None) -> str:
    """The database URL with a relative SQLite path made absolute (from the current directory)."""
    u = sa.engine.make_url(url or store.default_url())
    if u.get_backend_name() == "sqlite" and u.database and not Path(u.database).is_absolute():
        u = u.set(database=str(Path(u.database).resolve()))
    return u.render_as_string(hide_password=False)


def _read_password() -> str:
    if os.environ.get("GOVAUDIT_PASSWORD"):
        return os.environ["GOVAUDIT_PASSWORD"]
    first = getpass.getpass("设置登录口令：")
    if not first or getpass.getpass("再次输入口令：") != first:
        raise SystemExit("govaudit: 两次输入的口令为空或不一致")
    return first


def serve(data_dir: Path, db: str | None = None, port: int = 8866, dashboard: bool = False,
          preheat: bool = True, *, ip: str = "127.0.0.1", token: str | None = None, password: bool = False,
          allow_hosts: list[str] | tuple[str, ...] = (), max_kernels: int = DEFAULT_MAX_KERNELS) -> None:
    """Become the guarded Voila server. Off the loopback address a login is always required:
    without ``token`` or ``password`` a random token is made and printed with the address."""
    from jupyter_server.auth import passwd

    notebook = NOTEBOOKS / ("dashboard.ipynb" if dashboard else "workbench.ipynb")
    url = absolute_url(db)
    if dashboard:
        store.open(url, readonly=True).close()      # fail here, in words, if there is nothing to show
    token = token or os.environ.get("GOVAUDIT_TOKEN") or None
    if not token and not password and not is_loopback(ip):
        token = secrets.token_urlsafe(24)
    guard = {"token": token or "", "hashed_password": passwd(_read_password()) if password else "",
             "allowed_hosts": [h.lower() for h in allow_hosts], "max_kernels": max_kernels, "ip": ip}
    env = {k: v for k, v in os.environ.items() if k not in ("GOVAUDIT_TOKEN", "GOVAUDIT_PASSWORD")}
    env.update({"GOVAUDIT_DATA": str(Path(data_dir).resolve()), "GOVAUDIT_DB_URL": url, GUARD_ENV: json.dumps(guard)})
    name = "督查看板（只读）" if dashboard else "审核工作台"
    host = ip if ip not in ("0.0.0.0", "::", "") else socket.gethostname()
    address = f"http://{host}:{port}/" + (f"?token={token}" if token else "")
    login = "，需登录（口令）" if password else ("，需登录（令牌已含在地址中）" if token else "")
    print(f"govaudit {name}：{address}  （数据目录 {data_dir}，数据库 "
          f"{sa.engine.make_url(url).render_as_string(hide_password=True)}{login}；按 Ctrl+C 退出）", flush=True)
    cmd = voila_command(notebook, port, preheat=preheat, ip=ip)
    os.execve(cmd[0], cmd, env)    # become Voila: a stop signal then reaches it and its kernels, leaving no orphans


# --- the guarded server (runs in the launcher process, see main()) -----------------------

def v1_offsets(msg) -> list[int] | None:
    """The offsets of a v1 websocket frame, or None when the frame is malformed. Bounded work."""
    if not isinstance(msg, (bytes, bytearray)) or len(msg) < 8:
        return None
    n = int.from_bytes(msg[:8], "little")
    if not 3 <= n <= MAX_PARTS or len(msg) < 8 * (n + 1):
        return None
    offsets = [int.from_bytes(msg[8 * (i + 1): 8 * (i + 2)], "little") for i in range(n)]
    if offsets[0] != 8 * (n + 1) or offsets[-1] > len(msg) or any(b < a for a, b in zip(offsets, offsets[1:])):
        return None
    return offsets


def read_header_v1(ws_msg) -> dict | None:
    """Bounded replacement for voila.tornado.kernel_websocket_handler.read_header_from_binary_message."""
    offsets = v1_offsets(ws_msg)
    if offsets is None:
        return None
    try:
        return json.loads(bytes(ws_msg[offsets[1]:offsets[2]]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def host_allowed(host_header: str, allowed: list[str]) -> bool:
    """An IP literal (no rebinding possible), localhost, or a name on the allow-list."""
    m = re.match(r"^(\[[^\]]*\]|[^:]*)(:\d+)?$", host_header.strip().lower())
    if not m:
        return False
    host = m.group(1).strip("[]").rstrip(".")
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return host == "localhost" or host in allowed


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width'><title>{title}</title>"
            "<style>body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:36em;"
            "margin:15vh auto;padding:0 1em;color:#222}h1{font-size:1.4em}input{font-size:1em;padding:.3em;"
            "width:100%;box-sizing:border-box}button{margin-top:.8em;font-size:1em;padding:.3em 1.5em}"
            ".err{color:#b00}</style></head>"
            f"<body>{body}</body></html>")


def busy_page(in_use: int, limit: int) -> str:
    return _page("服务繁忙", "<meta http-equiv='refresh' content='60'><h1>服务繁忙</h1>"
                 f"<p>当前已有 {in_use} 个审核页面在使用（上限 {limit} 个），暂时无法打开新的页面。</p>"
                 "<p>请关闭不再使用的审核页面，或稍后刷新本页（60 秒后自动重试）。</p>")


def chinese_loading(source: str) -> str:
    """Voila's template source with its English loading text replaced (its spinner and the cell count)."""
    choice = ("{% if 'dashboard' in (nb_title or '') %}" + LOADING_TEXT["dashboard"] + "{% else %}"
              + LOADING_TEXT["workbench"] + "{% endif %}")
    source = source.replace("Running {{nb_title}}...", choice)
    for english in ("`Executing ${cell_index} of ${cell_count}`", "`Reading ${cell_index} of ${cell_count}`"):
        source = source.replace(english, '(document.getElementById("loading_text") || {}).innerHTML')
    return source


def _build_server():
    """Voila subclasses and handlers; imported lazily so ``govaudit app`` starts fast until exec."""
    import asyncio
    from urllib.parse import urlparse

    import voila
    import voila.app as voila_app
    import voila.exporter as voila_exporter
    import voila.tornado.kernel_websocket_handler as voila_ws
    from jinja2 import BaseLoader
    from jupyter_server.auth.decorator import allow_unauthenticated
    from tornado import web
    from tornado.routing import AnyMatches, Router, Rule
    from traitlets import Dict
    from traitlets.config import Config
    from voila.tornado.handler import TornadoVoilaHandler
    from voila.voila_identity_provider import VoilaLoginHandler

    if voila.__version__ not in PATCHED_VOILA:
        print(f"govaudit: 服务端防护针对 Voila {', '.join(PATCHED_VOILA)} 编写，当前为 {voila.__version__}；"
              "请核对 read_header_from_binary_message 是否已在上游修复", file=sys.stderr, flush=True)
    voila_ws.read_header_from_binary_message = read_header_v1

    # -- offline: no template may link outside the machine --------------------------------
    outside = re.compile(r"""<link\b[^>]*\bhref=["']https?://[^"']*["'][^>]*>|"""
                         r"""<script\b[^>]*\bsrc=["']https?://[^"']*["'][^>]*>\s*</script>""", re.I)

    class LocalAssetsLoader(BaseLoader):
        def __init__(self, inner):
            self.inner = inner

        def get_source(self, environment, template):
            source, filename, uptodate = self.inner.get_source(environment, template)
            return chinese_loading(outside.sub("", source)), filename, uptodate

        def list_templates(self):
            return self.inner.list_templates()

    original_environment = voila_exporter.VoilaExporter._create_environment

    def local_environment(self):
        env = original_environment(self)
        env.loader = LocalAssetsLoader(env.loader)
        return env

    voila_exporter.VoilaExporter._create_environment = local_environment

    # -- handlers ---------------------------------------------------------------------------
    class Refused(web.RequestHandler):
        def initialize(self, status: int, text: str):
            self.status, self.text = status, text

        def prepare(self):
            self.set_status(self.status)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(_page("拒绝访问", f"<h1>拒绝访问</h1><p>{html.escape(self.text)}</p>"))

    class HostGuard(Router):
        def __init__(self, app, allowed):
            self.app, self.allowed = app, allowed

        def find_handler(self, request, **kwargs):
            if host_allowed(request.host or "", self.allowed):
                return None
            return self.app.get_handler_delegate(request, Refused, target_kwargs={
                "status": 403, "text": "此服务不接受该主机名（Host）。如需以此名称访问，请用 --allow-host 启动。"})

    class GuardedKernelWebsocket(voila_ws.VoilaKernelWebsocketHandler):
        async def get(self, *args, **kwargs):
            offered = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
            if V1 not in offered:
                self.log.warning("Refusing kernel websocket without the %s subprotocol from %s",
                                 V1, self.request.remote_ip)
                self.set_status(400)
                self.finish("kernel websocket requires the v1.kernel.websocket.jupyter.org subprotocol")
                return
            return await super().get(*args, **kwargs)

        def check_origin(self, origin=None):
            origin = self.request.headers.get("Origin") or self.request.headers.get("Sec-Websocket-Origin")
            if origin is None:              # not a browser (scripts send no Origin)
                return True
            parsed = urlparse(origin.lower())
            if parsed.netloc == (self.request.headers.get("Host") or "").lower():
                return True
            if parsed.hostname and parsed.hostname in self.settings["govaudit_guard"]["allowed_hosts"]:
                return True
            self.log.warning("Blocking cross-origin kernel websocket: Origin %s, Host %s",
                             origin, self.request.headers.get("Host"))
            return False

        def on_message(self, message):
            offsets = v1_offsets(message) if isinstance(message, bytes) else None
            if offsets is None or len(offsets) < 6:     # channel, header, parent, metadata, content (+ buffers)
                self.log.warning("Closing kernel websocket after a malformed frame from %s", self.request.remote_ip)
                self.close(1008, "malformed message")
                return None
            return super().on_message(message)

    def track_pool(km) -> None:
        """Mark the kernels started to fill the preheat pool, from the moment their id is made, until a page
        takes one (so ``kernels_in_use`` counts exactly the kernels pages hold, even while the pool refills)."""
        km.govaudit_pool_ids = set()
        new_kernel_id, rendered = km.new_kernel_id, getattr(km, "get_rendered_notebook", None)

        def pool_aware_id(**kwargs):
            kernel_id = new_kernel_id(**kwargs)
            if (kwargs.get("env") or {}).get("VOILA_PREHEAT") == "True":     # set by Voila's fill_if_needed only
                km.govaudit_pool_ids.add(kernel_id)
            return kernel_id

        async def taken_from_pool(*args, **kwargs):
            result = await rendered(*args, **kwargs)
            km.govaudit_pool_ids.discard(result[2])          # (render task, rendered cells, kernel id)
            return result

        km.new_kernel_id = pool_aware_id
        if rendered is not None:
            km.get_rendered_notebook = taken_from_pool

    def kernels_in_use(km) -> int:
        """Kernels running or starting for pages; pooled kernels (ready or starting) are not in use."""
        ids = set(km.list_kernel_ids()) | set(getattr(km, "_pending_kernels", {}))
        # a pool kernel's id is pending from the moment it is made, so an id in neither set is gone
        km.govaudit_pool_ids = pooled = getattr(km, "govaudit_pool_ids", set()) & ids
        return len(ids - pooled)

    class CappedVoilaHandler(TornadoVoilaHandler):
        opening = 0         # page requests past the cap check whose kernel may not be running yet

        async def prepare(self):
            await super().prepare()
            self._counted = False
            if self._finished or self.request.method != "GET" or not self.current_user:
                return
            limit = self.settings["govaudit_guard"]["max_kernels"]
            in_use = kernels_in_use(self.kernel_manager)
            if in_use + CappedVoilaHandler.opening >= limit:
                self.log.warning("Busy: %d kernels in use, %d opening, limit %d", in_use,
                                 CappedVoilaHandler.opening, limit)
                self.set_status(503)
                self.set_header("Retry-After", "60")
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.finish(busy_page(in_use, limit))
                return
            CappedVoilaHandler.opening += 1
            self._counted = True
            # Voila's page posts the kernel shutdown on tab close with the _xsrf cookie, which nothing
            # sets in 0.5.13 (the POST then fails with 403 and the kernel lingers until culled): set it
            self.xsrf_token  # noqa: B018

        def on_finish(self):
            if getattr(self, "_counted", False):
                CappedVoilaHandler.opening -= 1
                self._counted = False
            super().on_finish()

    class LoginPage(VoilaLoginHandler):
        def _render(self, message=None):
            error = "<p class='err'>口令或令牌不正确。</p>" if message else ""
            nxt = html.escape(self.get_argument("next", default=self.base_url), quote=True)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.write(_page("登录 · govaudit", (
                "<h1>政府信息公开年报审核工作台</h1>" + error +
                f"<form method='post' action='{html.escape(self.base_url)}login?next={nxt}'>"
                f"{self.xsrf_form_html()}<label for='password'>口令或令牌</label>"
                "<input type='password' id='password' name='password' autofocus autocomplete='current-password'>"
                "<button type='submit'>登录</button></form>")))

        @allow_unauthenticated
        async def post(self):
            if self.identity_provider.process_login_form(self) is None:
                await asyncio.sleep(1)      # slows guessing; the login itself is jupyter_server's
            return super().post()

    class GovauditVoila(voila_app.Voila):
        guard = Dict()

        def init_settings(self):
            cfg = Config()
            cfg.PasswordIdentityProvider.allow_password_change = False
            if self.guard.get("hashed_password"):
                cfg.PasswordIdentityProvider.hashed_password = self.guard["hashed_password"]
            self.update_config(cfg)
            if self.guard.get("token"):
                self.token = self.guard["token"]
            settings = super().init_settings()
            self.identity_provider.login_handler_class = LoginPage
            guard = {"max_kernels": DEFAULT_MAX_KERNELS, "allowed_hosts": [], **self.guard}
            if not is_loopback(guard.get("ip", "127.0.0.1")):     # serving a team: the machine's own names too
                guard["allowed_hosts"] = guard["allowed_hosts"] + [
                    n.lower() for n in {socket.gethostname(), socket.getfqdn()} if n]
            if guard.get("ip") and not is_loopback(guard["ip"]) and guard["ip"] not in ("0.0.0.0", "::"):
                guard["allowed_hosts"].append(guard["ip"].lower())
            settings["govaudit_guard"] = guard
            track_pool(self.kernel_manager)
            settings["allow_remote_access"] = True       # Host is checked by HostGuard for every request
            return settings

        def init_handlers(self):
            swap = {voila_ws.VoilaKernelWebsocketHandler: GuardedKernelWebsocket,
                    TornadoVoilaHandler: CappedVoilaHandler}
            return [(h[0], swap.get(h[1], h[1]), *h[2:]) for h in super().init_handlers()]

        def listen(self):
            self.app.default_router.rules.insert(
                0, Rule(AnyMatches(), HostGuard(self.app, self.app.settings["govaudit_guard"]["allowed_hosts"])))
            super().listen()

    return GovauditVoila


def main(argv: list[str] | None = None) -> None:
    guard = json.loads(os.environ.pop(GUARD_ENV, "{}"))     # kernels inherit the environment: no secrets there
    GovauditVoila = _build_server()
    GovauditVoila.launch_instance(argv if argv is not None else sys.argv[1:], guard=guard)


if __name__ == "__main__":
    main()
