"""The operations endpoint: /healthz, /readyz, /metrics and POST /reload, over aiohttp.

It listens on OPTOUT_HTTP_HOST:OPTOUT_HTTP_PORT (127.0.0.1 by default; containers use 0.0.0.0 for
probes and scraping). /reload answers only requests from the machine itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.knowledge_loader import KnowledgeError
from bot.ops import EndpointUnavailable

if TYPE_CHECKING:
    from bot.bootstrap import Services

log = logging.getLogger(__name__)

READY_DB_TIMEOUT = 2.0
PlatformCheck = Callable[[], bool]


class Operations:
    """What the endpoint and SIGHUP act on: the services, and a connected-check per platform
    (doors add theirs once they are built)."""

    def __init__(self, services: Services):
        self.services = services
        self.platforms: dict[str, PlatformCheck] = {}
        self._reloading = asyncio.Lock()

    async def readiness(self) -> dict[str, bool]:
        # "warm": what a first answer needs is built (Services.warm_up), so the first questions
        # are answered as fast as later ones.
        checks = {"warm": self.services.warmed, "database": await self._database_reachable()}
        dispatchers = self.services.dispatchers
        checks["dispatcher"] = bool(dispatchers) and all(d.running for d in dispatchers)
        for name, connected in self.platforms.items():
            try:
                checks[name] = bool(connected())
            except Exception:
                checks[name] = False
        return checks

    async def _database_reachable(self) -> bool:
        try:
            await asyncio.wait_for(
                asyncio.to_thread(self.services.store.next_due_at), READY_DB_TIMEOUT
            )
        except Exception as error:
            log.warning("readiness: database unreachable error=%s", type(error).__name__)
            return False
        return True

    async def reload_knowledge(self) -> list[str]:
        """Validate and make live the knowledge base on disk; the problems found, if any (then
        the old knowledge base stays live)."""
        async with self._reloading:
            try:
                fresh = await asyncio.to_thread(self.services.reload_knowledge)
            except KnowledgeError as exc:
                log.warning(
                    "knowledge reload rejected, the previous knowledge base stays live problems=%s",
                    len(exc.issues),
                )
                for issue in exc.issues:
                    log.warning("knowledge problem: %s", issue)
                return [str(issue) for issue in exc.issues]
            self.services.swap_answerer(fresh)
            return []


def build_app(ops: Operations) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def readyz(request: web.Request) -> web.Response:
        checks = await ops.readiness()
        ready = all(checks.values())
        return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        body = await asyncio.to_thread(ops.services.metrics.render)
        response = web.Response(body=body)
        response.content_type = "text/plain"
        response.charset = "utf-8"
        response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
        return response

    async def reload(request: web.Request) -> web.Response:
        if not _is_loopback(request.remote):
            return web.json_response({"error": "reload is allowed from 127.0.0.1 only"}, status=403)
        problems = await ops.reload_knowledge()
        if problems:
            return web.json_response({"reloaded": False, "problems": problems}, status=422)
        kb = ops.services.answerer.kb
        return web.json_response(
            {"reloaded": True, "intents": len(kb.intents), "events": len(kb.events)}
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/reload", reload)
    return app


def _is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


@contextlib.asynccontextmanager
async def http_server(ops: Operations, host: str, port: int) -> AsyncIterator[int]:
    """The endpoint listening for the duration of the block; yields the bound port (port 0
    picks a free one)."""
    runner = web.AppRunner(build_app(ops), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise EndpointUnavailable(
                f"OPTOUT_HTTP_HOST/OPTOUT_HTTP_PORT: cannot listen on {host}:{port}: {reason}"
            ) from None
        bound = runner.addresses[0][1] if runner.addresses else port
        log.info("ops http listening host=%s port=%s", host, bound)
        yield bound
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def operations(services: Services, *, sighup: bool = True) -> AsyncIterator[Operations]:
    """SIGHUP reloads the knowledge base (every door, the terminal chat included); with
    OPTOUT_HTTP_PORT set, the endpoint listens."""
    ops = Operations(services)
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task] = set()
    sighup = sighup and hasattr(signal, "SIGHUP")

    def on_sighup() -> None:
        log.info("SIGHUP: reloading the knowledge base")
        task = loop.create_task(ops.reload_knowledge())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    if sighup:
        loop.add_signal_handler(signal.SIGHUP, on_sighup)
    try:
        settings = services.settings
        if settings is not None and settings.http_port is not None:
            async with http_server(ops, settings.http_host, settings.http_port):
                yield ops
        else:
            yield ops
    finally:
        if sighup:
            loop.remove_signal_handler(signal.SIGHUP)
        for task in tasks:
            task.cancel()


def reload_url(host: str, port: int) -> str:
    """Where `optout-bot kb reload` reaches the running bot: the loopback address it listens on."""
    local = "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else host
    if local == "::":
        local = "::1"
    if ":" in local:
        local = f"[{local}]"
    return f"http://{local}:{port}/reload"
