"""The service's jobs doing the real work, end to end, with a controllable clock:

simulated Mastodon instance --collect job--> storage --rollup job--> metrics
                                                     --weekly email job--> aiosmtpd

The scripted fortnight (tests/support/scripted_week.py) says which figures must come out.
The jobs are called the way the scheduler calls them (the job store's function and
arguments), with the clock at the moment the trigger names; nothing sleeps.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from metrics import api
from metrics.labels import Verdict
from replywatch import jobs
from replywatch.jobs import Runtime, Work
from replywatch.service import make_scheduler, stop_scheduler, weekly_trigger
from reports.chart import ChartRenderer
from sandbox.mastodon_api import MastodonServer
from storage.engine import session_scope
from storage.leases import LeaseKeeper
from storage.models import AccountWeek, CollectionRun, EmailDelivery, Item, Lease, RollupDirty
from tests.support.clock import ManualClock
from tests.support.platforms import MASTODON_DOMAIN
from tests.support.platforms import settings_for as platform_settings
from tests.support.scripted_week import (
    HTML_TEXT,
    LAST_WEEK,
    MONDAY_MORNING,
    ON_MONDAY,
    ON_THURSDAY,
    THURSDAY_NOON,
    WEEK,
    Figures,
    add_people,
    fortnight,
    write_secrets,
)
from tests.support.smtp import start_smtp


@pytest.fixture(scope="module", autouse=True)
def one_chart_browser():
    # Email batches share the process's chart browser while any is open.
    with ChartRenderer("/usr/bin/chromium"):
        yield


@pytest.fixture
def scripted():
    return fortnight()


@pytest.fixture
def mastodon(scripted):
    with MastodonServer(scripted.world, domain=MASTODON_DOMAIN) as server:
        yield server


@pytest.fixture
def smtp(tmp_path):
    server = start_smtp(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def people(engine):
    with session_scope(engine) as session:
        return add_people(session)


@pytest.fixture
def settings(engine, mastodon, smtp, tmp_path):
    write_secrets(tmp_path)
    return platform_settings(
        tmp_path,
        REPLYWATCH_DATABASE_URL=engine.url.render_as_string(hide_password=False),
        REPLYWATCH_MASTODON_API_URL=mastodon.url,
        REPLYWATCH_SMTP_HOST="127.0.0.1",
        REPLYWATCH_SMTP_PORT=smtp.port,
        REPLYWATCH_SMTP_SECURITY="none",
        REPLYWATCH_SMTP_SENDER="replywatch@agency.example",
        REPLYWATCH_PUBLIC_URL="https://replywatch.agency.example/",
    )


class ServiceProcess:
    """What ``replywatch run`` sets up around the jobs, with a manual clock: the runtime with
    the product's work functions, leases, and a scheduler whose job store is the database."""

    def __init__(self, engine, settings, clock: ManualClock, owner: str) -> None:
        self.scheduler = make_scheduler(engine, settings)
        self.scheduler.start(paused=True)  # jobs run when the test says so
        self.leases = LeaseKeeper(engine, timedelta(seconds=60), owner=owner, clock=clock)
        self.runtime = Runtime(
            engine=engine, settings=settings, leases=self.leases, work=Work(), clock=clock,
            scheduler=self.scheduler,
        )  # fmt: skip
        self.runtime.work.check()
        jobs.install(self.runtime)

    def run_job(self, job_id: str) -> None:
        """Run a job of the job store as the scheduler would: its function, its arguments."""
        job = self.scheduler.get_job(job_id)
        assert job is not None, f"no job {job_id} in the job store"
        job.func(*job.args, **job.kwargs)
        if job.next_run_time is not None and job.trigger.__class__.__name__ == "DateTrigger":
            self.scheduler.remove_job(job_id)  # a date job runs once

    def stop(self) -> None:
        jobs.uninstall()
        stop_scheduler(self.scheduler)
        self.leases.release_all()


@pytest.fixture
def clock():
    return ManualClock(THURSDAY_NOON)


@pytest.fixture
def service(engine, settings, clock):
    process = ServiceProcess(engine, settings, clock, owner="service-one")
    yield process
    process.stop()


def _figures(metrics: api.Metrics) -> Figures:
    return Figures(
        posts=metrics.posts, own_replies=metrics.own_replies, inbound=metrics.inbound,
        answered=metrics.answered, missed=metrics.missed, waiting=metrics.waiting,
    )  # fmt: skip


def _count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def _collect_at(service: ServiceProcess, scripted, clock: ManualClock, moment, account_id: int):
    clock.set(moment)
    scripted.world.now = moment
    jobs.collect(account_id)
    with session_scope(service.runtime.engine) as session:
        run = session.scalars(select(CollectionRun).order_by(CollectionRun.id.desc())).first()
        assert run is not None and (run.outcome, run.error) == ("ok", None)


def test_collection_and_rollup_jobs_bring_the_weeks_numbers(
    engine, people, service, scripted, clock
):
    week = api.iso_week(WEEK)
    # Thursday noon: the job collects what the instance shows so far, then asks for rollups.
    _collect_at(service, scripted, clock, THURSDAY_NOON, people.account_id)
    assert _count(engine, RollupDirty) > 0, "collected items mark their days for the rollups"
    rollup = service.scheduler.get_job(f"rollup:{people.account_id}")
    assert rollup is not None and rollup.func is jobs.refresh_rollups
    service.run_job(f"rollup:{people.account_id}")
    assert _count(engine, RollupDirty) == 0
    with session_scope(engine) as session:
        thursday = api.client_metrics(session, people.client_id, week, now=clock.now())
    assert _figures(thursday) == ON_THURSDAY

    # Monday morning: the next collection finds Saturday's message; the week is complete.
    _collect_at(service, scripted, clock, MONDAY_MORNING - timedelta(minutes=30),
                people.account_id)  # fmt: skip
    service.run_job(f"rollup:{people.account_id}")
    clock.set(MONDAY_MORNING)
    with session_scope(engine) as session:
        monday = api.client_metrics(session, people.client_id, week, now=clock.now())
        before = api.client_metrics(session, people.client_id, week.previous(), now=clock.now())
        stored = session.scalars(
            select(AccountWeek).where(AccountWeek.account_id == people.account_id)
        ).all()
        items = session.scalar(select(func.count()).select_from(Item))
    assert _figures(monday) == ON_MONDAY
    assert monday.response_ratio == pytest.approx(0.6)
    assert monday.verdict.verdict == Verdict.UNRESPONSIVE
    assert _figures(before) == LAST_WEEK and before.verdict.verdict == Verdict.RESPONSIVE
    assert len(stored) == 2, "rollups of weeks 46 and 47"
    assert items == (1 + 5 + 5) + (2 + 6 + 3), "week 46 and week 47: posts, messages, answers"
    assert _count(engine, Lease) == 0, "every lease given back"
    with session_scope(engine) as session:
        runs = session.scalars(select(CollectionRun).order_by(CollectionRun.id)).all()
    assert [(run.outcome, run.items_new) for run in runs] == [("ok", 21), ("ok", 1)]


def _parts(message):
    """text, html and the inline image of a weekly email, checking the MIME structure."""
    assert message.get_content_type() == "multipart/alternative"
    text, related = message.get_payload()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png" and image.get_content_disposition() == "inline"
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html.get_content()
    assert image.get_content().startswith(b"\x89PNG")
    # Lines travel as CRLF; compare them as the recipient's mail program shows them.
    return text.get_content().replace("\r\n", "\n"), html.get_content(), image


def _by_recipient(smtp) -> dict[str, object]:
    found = {}
    for received in smtp.handler.received:
        assert len(received.recipients) == 1
        assert received.recipients[0] not in found, f"{received.recipients[0]} got two emails"
        found[received.recipients[0]] = received.message
    return found


def test_weekly_emails_go_out_once_with_the_weeks_numbers_in_both_languages(
    engine, people, service, scripted, clock, settings, smtp, mastodon
):
    # The last collection before the email; its rollup job has not run yet.
    _collect_at(service, scripted, clock, MONDAY_MORNING - timedelta(minutes=2),
                people.account_id)  # fmt: skip
    assert _count(engine, RollupDirty) > 0

    # The weekly job of Berlin fires at the trigger's next time: Monday 07:00 local.
    trigger = weekly_trigger("Europe/Berlin", settings.get("email.send_time"))
    fires = trigger.get_next_fire_time(None, clock.now())
    assert fires == MONDAY_MORNING
    clock.set(fires)
    jobs.weekly_emails("Europe/Berlin")
    assert _count(engine, RollupDirty) == 0, "the numbers were brought up to date first"

    emails = _by_recipient(smtp)
    assert sorted(emails) == ["anna@example.com", "bob@example.com", "carla@agency.example"]

    anna = emails["anna@example.com"]  # owner, German
    assert anna["Subject"] == "Bäckerei Huber, KW 47: 3 von 6 Kundennachrichten beantwortet"
    assert anna["Content-Language"] == "de"
    text, html, _ = _parts(anna)
    summary = (
        "6 Kundennachrichten kamen herein, 3 bekamen eine Antwort; die älteste "
        "unbeantwortete wartet schon 6 Tage."
    )
    assert summary in text and summary in html
    assert "Mastodon @baeckerei@social.example: antwortet nicht ▼ - schlechter als letzte " \
        "Woche (antwortet)" in text  # fmt: skip
    assert "Antwortquote 60 % (letzte Woche 100 %)" in text.replace("\xa0", " ")
    assert "KW 46: Kundennachrichten 5, beantwortet 5" in text
    assert "KW 47: Kundennachrichten 6, beantwortet 3" in text
    # The oldest unanswered messages, oldest first, with their links.
    unanswered = text.split("Noch ohne Antwort")[1]
    assert [line.split(" auf ")[0] for line in re.findall(r"^- (.+)$", unanswered, re.M)] == [
        "clara@social.example", "dora@elsewhere.example", "anna@social.example",
    ]  # fmt: skip
    with session_scope(engine) as session:
        clara = session.scalar(select(Item).where(Item.text.like("%Giesing%")))
        assert clara.permalink and clara.permalink.startswith("http")
    assert clara.permalink in text and f'href="{clara.permalink}"' in html
    # Customer text is text, never markup.
    assert HTML_TEXT.replace('"', "") not in html.replace('"', "")
    assert "&lt;b&gt;5 Sterne&lt;/b&gt; &amp; &#34;mehr&#34;" in html
    assert "<b>5 Sterne</b>" in text
    assert 'href="https://replywatch.agency.example/client?client=1&amp;period=2026-W47"' in html

    bob = emails["bob@example.com"]  # owner, English
    assert bob["Subject"] == "Bäckerei Huber, week 47: 3 of 6 customer messages answered"
    text, html, _ = _parts(bob)
    assert (
        "6 customer messages came in, 3 got an answer; the oldest unanswered one has waited "
        "6 days." in text
    )
    assert "unresponsive ▼ - worse than last week (responsive)" in text
    assert "response ratio 60% (last week 100%)" in text

    carla = emails["carla@agency.example"]  # consultant, the digest of both clients
    assert carla["Subject"] == "Weekly digest, week 47: 2 clients"
    text, html, _ = _parts(carla)
    assert "== Bäckerei Huber ==\n6 customer messages came in, 3 got an answer" in text
    assert "== Café Zwei ==\nNo customer wrote this week." in text

    with session_scope(engine) as session:
        rows = session.scalars(select(EmailDelivery).order_by(EmailDelivery.recipient)).all()
        assert [(r.recipient, r.scope, r.iso_week, r.status, r.attempts) for r in rows] == [
            ("anna@example.com", f"client:{people.client_id}", WEEK, "sent", 1),
            ("bob@example.com", f"client:{people.client_id}", WEEK, "sent", 1),
            ("carla@agency.example", "digest", WEEK, "sent", 1),
        ]


@pytest.mark.slow  # over 10 s on the 2-core machine
def test_a_restart_or_a_misfire_sends_nothing_twice(
    engine, people, service, scripted, clock, settings, smtp, mastodon
):
    _collect_at(service, scripted, clock, MONDAY_MORNING - timedelta(minutes=30),
                people.account_id)  # fmt: skip
    clock.set(MONDAY_MORNING)
    jobs.weekly_emails("Europe/Berlin")
    assert len(smtp.handler.received) == 3

    # The process stops; another one starts (a restart, or the standby taking over) and
    # runs what its job store says is due: the weekly job again (a misfire within the
    # grace time), and the five-minute delivery job.
    service.stop()
    clock.advance(minutes=7)
    second = ServiceProcess(engine, settings, clock, owner="service-two")
    try:
        jobs.weekly_emails("Europe/Berlin")
        jobs.deliver_emails()
        clock.advance(hours=5)
        jobs.deliver_emails()
    finally:
        second.stop()
    assert len(smtp.handler.received) == 3
    with session_scope(engine) as session:
        statuses = session.execute(select(EmailDelivery.status, EmailDelivery.attempts)).all()
    assert sorted(statuses) == [("sent", 1)] * 3


def test_the_sweep_job_refreshes_changes_no_collection_covered(engine, people, service, clock):
    from storage.upsert import mark_dirty

    with session_scope(engine) as session:
        mark_dirty(session, [(people.account_id, MONDAY_MORNING.date())])
    jobs.sweep_metrics()
    assert _count(engine, RollupDirty) == 0
