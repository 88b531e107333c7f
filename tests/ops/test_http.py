"""/healthz, /readyz, /metrics and /reload over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import sys
import threading
from pathlib import Path

import aiohttp
import pytest

from bot.bootstrap import Services, build_services, warm_up
from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from bot.ops import EndpointUnavailable
from bot.ops.http import Operations, _is_loopback, http_server, operations, reload_url
from bot.service.dispatcher import PassReport, schedule_reminders
from bot.settings import load_settings
from tests.conftest import BEFORE_DEADLINE, KNOWLEDGE_DIR
from tests.ops.conftest import RecordingNotifier

ROOT = Path(__file__).resolve().parents[2]
CHAT = ChatRef("terminal", "local")


@contextlib.asynccontextmanager
async def endpoint(services: Services):
    ops = Operations(services)
    async with http_server(ops, "127.0.0.1", 0) as port, aiohttp.ClientSession() as http:
        yield ops, http, f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def running_dispatcher(services: Services):
    dispatcher = services.dispatcher(RecordingNotifier(), idle_sleep=0.05, min_sleep=0.01)
    task = asyncio.create_task(dispatcher.run_forever())
    while not dispatcher.running:
        await asyncio.sleep(0.01)
    try:
        yield dispatcher
    finally:
        dispatcher.stop()
        await task


async def test_healthz_answers_while_nothing_else_runs(services: Services):
    async with endpoint(services) as (_, http, base), http.get(f"{base}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"alive": True}


async def test_readyz_needs_the_database_the_dispatcher_and_every_platform(services: Services):
    async with endpoint(services) as (ops, http, base):
        async with http.get(f"{base}/readyz") as response:
            assert response.status == 503
            assert (await response.json())["checks"] == {
                "warm": True,
                "database": True,
                "dispatcher": False,
            }
        async with running_dispatcher(services):
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 200
            connected = False
            ops.platforms["telegram"] = lambda: connected
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 503
                assert (await response.json())["checks"]["telegram"] is False
            connected = True
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 200


async def test_readyz_reports_an_unreachable_database(services: Services):
    async with endpoint(services) as (_, http, base):
        services.store.close()
        async with http.get(f"{base}/readyz") as response:
            assert response.status == 503
            assert (await response.json())["checks"]["database"] is False


async def test_metrics_count_questions_reminders_lag_and_subscribers(services: Services):
    await services.conversations.ask(CHAT, "am I affected in Canada?")
    await services.conversations.ask(CHAT, "purple elephants dance")
    await services.subscriptions.handle(CHAT, "subscribe", "DE")
    services.metrics.observe_pass(PassReport(sent=2, late=1, skipped=3, failed=1, refused=1))
    async with endpoint(services) as (_, http, base), http.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    assert 'optout_questions_total{band="answered",intent="am_i_affected"} 1.0' in text
    assert any(
        line.startswith(
            ('optout_questions_total{band="fallback"', 'optout_questions_total{band="did_you_mean"')
        )
        and line.endswith(" 1.0")
        for line in text.splitlines()
    )
    assert "optout_answer_latency_seconds_count 2.0" in text
    for outcome, count in (("sent", 2), ("late", 1), ("skipped", 3), ("failed", 1)):
        assert f'optout_reminders_total{{outcome="{outcome}"}} {count}.0' in text
    assert 'optout_reminders_total{outcome="deactivated"} 1.0' in text
    assert 'optout_subscribers{platform="terminal",region="DE"} 1.0' in text
    assert "optout_dispatcher_lag_seconds 0.0" in text  # nothing due yet


async def test_dispatcher_lag_is_now_minus_the_oldest_due_reminder(services: Services):
    await services.subscriptions.handle(CHAT, "subscribe", "DE")
    now = services.clock.now()
    schedule_reminders(services.store, services.answerer.kb, now + dt.timedelta(days=35))
    oldest = services.store.next_due_at()
    assert oldest is not None
    services.clock.moment = oldest + dt.timedelta(seconds=90)
    text = services.metrics.render().decode()
    assert "optout_dispatcher_lag_seconds 90.0" in text


async def test_reload_swaps_the_knowledge_base_for_answers_and_dispatchers(
    services: Services, knowledge_copy: Path
):
    answerer = services.answerer
    dispatcher = services.dispatcher(RecordingNotifier())
    meta = knowledge_copy / "meta.yaml"
    meta.write_text(meta.read_text().replace("topic: LinkedIn's", "topic: Reloaded LinkedIn's"))
    async with endpoint(services) as (_, http, base), http.post(f"{base}/reload") as response:
        assert response.status == 200, await response.text()
        assert (await response.json())["reloaded"] is True
    assert services.answerer is answerer  # the same object every door holds, with new contents
    assert answerer.kb.topic.startswith("Reloaded")
    assert dispatcher.kb is answerer.kb and services.conversations.answerer.kb is answerer.kb
    assert answerer.matcher.kb is answerer.kb


async def test_reload_of_a_broken_file_keeps_the_old_one_live(
    services: Services, knowledge_copy: Path, caplog: pytest.LogCaptureFixture
):
    before = services.answerer.kb
    (knowledge_copy / "meta.yaml").write_text("platform: [unclosed\n")
    async with endpoint(services) as (_, http, base), http.post(f"{base}/reload") as response:
        assert response.status == 422
        body = await response.json()
    assert body["reloaded"] is False and any("meta.yaml" in p for p in body["problems"])
    assert services.answerer.kb is before
    reply = await services.conversations.ask(CHAT, "am I affected in Canada?")
    assert reply.intent == "am_i_affected"
    assert "previous knowledge base stays live" in caplog.text


@pytest.mark.slow
async def test_kb_reload_command_reaches_the_running_bot(services: Services, knowledge_copy):
    settings = services.settings
    env = {
        **os.environ,
        "OPTOUT_HTTP_PORT": str(settings.http_port),
        "OPTOUT_DATA_DIR": str(settings.data_dir),
    }
    async with operations(services):

        async def kb_reload() -> tuple[int, str, str]:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "kb", "reload", env=env, cwd=ROOT,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await process.communicate()
            return process.returncode, out.decode(), err.decode()

        status, out, _ = await kb_reload()
        assert status == 0 and "knowledge base reloaded" in out
        (knowledge_copy / "events.yaml").write_text("events: 7\n")
        status, _, err = await kb_reload()
        assert status == 1 and "events.yaml" in err and "previous one stays live" in err


async def test_sighup_reloads_the_knowledge_base(services: Services, knowledge_copy: Path):
    meta = knowledge_copy / "meta.yaml"
    meta.write_text(meta.read_text().replace("topic: LinkedIn's", "topic: Hup LinkedIn's"))
    async with operations(services):
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(500):
            await asyncio.sleep(0.02)
            if services.answerer.kb.topic.startswith("Hup"):
                break
    assert services.answerer.kb.topic.startswith("Hup")


async def test_a_port_that_cannot_be_listened_on_is_one_line(services: Services):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(EndpointUnavailable) as caught:
            async with http_server(Operations(services), "127.0.0.1", port):
                pass
    assert str(caught.value).startswith(
        f"OPTOUT_HTTP_HOST/OPTOUT_HTTP_PORT: cannot listen on 127.0.0.1:{port}: "
    )
    assert "\n" not in str(caught.value)


def test_reload_is_for_the_machine_itself():
    assert _is_loopback("127.0.0.1") and _is_loopback("::1")
    assert not _is_loopback("10.0.0.7") and not _is_loopback(None)
    assert reload_url("0.0.0.0", 9000) == "http://127.0.0.1:9000/reload"
    assert BEFORE_DEADLINE  # the services fixture's clock


async def test_readyz_is_not_ready_until_the_warm_up_has_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """run_doors() starts the endpoint, then warms up (off the event loop), then the doors: while
    the warm-up runs, /healthz answers and /readyz does not say ready."""
    settings = load_settings(
        {
            "OPTOUT_DATA_DIR": str(tmp_path / "data"),
            "OPTOUT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
        }
    )
    services = build_services(FixedClock(BEFORE_DEADLINE), settings=settings, warm=False)
    assert not services.warmed
    release = threading.Event()
    answered_once = services.answerer.warm

    def slow_warm() -> None:
        release.wait(10)
        answered_once()

    monkeypatch.setattr(services.answerer, "warm", slow_warm)
    try:
        async with endpoint(services) as (_, http, base), running_dispatcher(services):
            warming = asyncio.create_task(warm_up(services))
            await asyncio.sleep(0.05)
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 503
                assert (await response.json())["checks"]["warm"] is False
            release.set()
            await warming
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 200
                assert (await response.json())["checks"]["warm"] is True
    finally:
        release.set()
        services.close()
