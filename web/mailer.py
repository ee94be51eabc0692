"""E-mail notifications: a background task of the web process that sends what the notification queue leases.

Only runs when `DELIBERATE_SMTP_URL` is set. Each round leases due jobs in a short transaction (committed before any
network traffic), sends them one by one over SMTP in a worker thread (the standard library's smtplib; a slow mail
server never blocks the event loop), and records each outcome; failures are retried with backoff by the
notification service. Several processes can run it at once: leases never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from collections.abc import AsyncIterator
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from aiohttp import web
from babel.support import NullTranslations

from deliberate.notifications import service as notifications
from deliberate.notifications.model import EmailJob
from deliberate.settings import Settings
from web.state import STATE, AppState

log = logging.getLogger(__name__)


def compose(settings: Settings, job: EmailJob, catalog: NullTranslations) -> EmailMessage:
    """The e-mail in the node's default language (members have no stored language yet)."""
    if job.kind == "remote_post":
        return _compose_remote_post(settings, job, catalog)
    gettext = catalog.gettext
    # A title can hold a line break (a thread from another server named after its text's first words; a form posted
    # by hand): a header with one in it cannot be sent, so it is put on one line.
    title = " ".join(job.thread_title.split())
    message = EmailMessage()
    subject = (gettext("New reply in “%(title)s”") if job.kind == "reply" else gettext("New thread: “%(title)s”")) % {
        "title": title
    }
    message["Subject"] = subject
    message["From"] = _sender(settings)
    message["To"] = job.email
    link = f"{settings.base_url}/t/{job.thread_id}#p{job.post_id}"
    message.set_content(
        gettext("Hello %(name)s,") % {"name": job.username}
        + "\n\n"
        + gettext("%(author)s wrote in “%(title)s”:") % {"author": "@" + job.actor_username, "title": title}
        + f"\n{link}\n\n"
        + gettext("You receive this because you follow this conversation. You can stop e-mails on your notices page.")
        + f"\n{settings.base_url}/notifications\n"
    )
    return message


def _compose_remote_post(settings: Settings, job: EmailJob, catalog: NullTranslations) -> EmailMessage:
    """A post of a person or organization of another server, followed from here, that has no copy here: the e-mail
    links to it on its own server, as the notices page does. Their name comes from that server: it is put on one
    line (a header with a line break in it cannot be sent)."""
    gettext = catalog.gettext
    author = " ".join((job.actor_name or job.actor_username).split())
    title = " ".join(job.thread_title.split())
    message = EmailMessage()
    message["Subject"] = gettext("%(author)s posted: “%(title)s”") % {"author": author, "title": title}
    message["From"] = _sender(settings)
    message["To"] = job.email
    message.set_content(
        gettext("Hello %(name)s,") % {"name": job.username}
        + "\n\n"
        + gettext("%(author)s posted “%(title)s” on their server:") % {"author": author, "title": title}
        + f"\n{job.url}\n\n"
        + gettext("You receive this because you follow %(author)s. You can stop e-mails on your notices page.")
        % {"author": author}
        + f"\n{settings.base_url}/notifications\n"
    )
    return message


def _sender(settings: Settings) -> str:
    return settings.smtp_from or f"noreply@{urlsplit(settings.base_url).hostname}"


def send(settings: Settings, message: EmailMessage) -> None:
    url = urlsplit(settings.smtp_url)
    host, port = url.hostname or "localhost", url.port
    context = ssl.create_default_context()
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port or 465, timeout=30, context=context)
    else:
        client = smtplib.SMTP(host, port or 587, timeout=30)
    with client:
        if url.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=context)
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)


async def send_due_emails(app_state: AppState) -> int:
    """One round: lease, send, record. Returns how many were sent."""
    async with app_state.db.acquire() as conn, conn.transaction():
        jobs = await notifications.claim_emails(conn, clock=app_state.clock)
    catalog = app_state.translations[app_state.settings.default_language]
    sent = 0
    for job in jobs:
        try:
            await asyncio.to_thread(send, app_state.settings, compose(app_state.settings, job, catalog))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("e-mail failed", extra={"fields": {"notification": job.notification_id, "error": str(exc)}})
            await _record_failure(app_state, job)
            continue
        except Exception:
            # Anything else (a template that fails on this notice, a header value from another server's data that
            # cannot be sent): this e-mail fails, not the round. Left to propagate, it would leave the job leased,
            # claimed first again next round with its attempts unchanged, and every e-mail behind it would wait
            # forever; recorded as a failure, it is retried with backoff and given up like an SMTP failure.
            log.exception("e-mail could not be built or sent", extra={"fields": {"notification": job.notification_id}})
            await _record_failure(app_state, job)
            continue
        async with app_state.db.acquire() as conn:
            await notifications.record_email_sent(conn, notification_id=job.notification_id)
        sent += 1
    return sent


async def _record_failure(app_state: AppState, job: EmailJob) -> None:
    async with app_state.db.acquire() as conn:
        await notifications.record_email_failed(conn, clock=app_state.clock, job=job)


async def _loop(app_state: AppState) -> None:
    while True:
        try:
            if await send_due_emails(app_state) == 0:
                await asyncio.sleep(app_state.settings.email_poll_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database hiccup must not end e-mail sending for the life of the process
            log.exception("e-mail round failed")
            await asyncio.sleep(app_state.settings.email_poll_seconds)


async def email_sender(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: runs the sender for the application's lifetime when SMTP is configured."""
    app_state = app[STATE]
    if not app_state.settings.smtp_url:
        yield
        return
    task = asyncio.create_task(_loop(app_state), name="email-sender")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
