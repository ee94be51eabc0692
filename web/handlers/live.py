"""Live updates of thread pages: Server-Sent Events at `/t/{id}/events`, fed by Redis pub/sub.

A thread page works without JavaScript; `web/static/live.js`, when it runs, opens this stream and offers "N new
replies — show", which fetches the thread page after the last post shown and appends the new posts.

* Publishing: after a reply's transaction commits, the web handler calls `publish_post` (one Redis PUBLISH of the
  thread and post ids, no content). The domain knows nothing of it. A failed publish is logged and costs the reader
  only the live notice: the post is in PostgreSQL and on the next page load.
* Receiving: each process holds ONE Redis subscription (`LiveHub`), on a channel named after the node's public URL
  (pub/sub ignores Redis database numbers, and several nodes may share a Redis), and fans messages out in memory to
  the streams open on that thread. Several web processes of one node share the channel, so a reply made through one
  reaches readers connected to another.
* A stream first checks that the reader may read the thread, then sends the posts after `?after=` (or the
  `Last-Event-ID` the browser sends when it reconnects), so nothing published between rendering the page and opening
  the stream is missed; then one event per new post, and a comment every HEARTBEAT seconds so proxies keep it open.
  The stream holds no database connection while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator

from aiohttp import web
from redis.asyncio import Redis

from deliberate.forums import service as forums
from web.state import STATE, USER, state

log = logging.getLogger(__name__)
HEARTBEAT = 25.0
QUEUE_SIZE = 64
BACKLOG = 50
RECONNECT_MAX = 30.0


def channel_for(base_url: str) -> str:
    return f"deliberate:live:{base_url}"


class LiveHub:
    """One Redis subscription per process; the streams of each thread listen to an in-memory queue."""

    def __init__(self, redis_url: str, channel: str) -> None:
        self._redis_url = redis_url
        self.channel = channel
        self._listeners: dict[int, set[asyncio.Queue[int | None]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.subscribed = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-updates")

    async def _run(self) -> None:
        delay = 0.5
        while not self._closed:
            # Its own client: the shared one has a socket timeout that would cut a quiet subscription.
            client = Redis.from_url(self._redis_url, socket_connect_timeout=2, health_check_interval=30)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.subscribed.set()
                    delay = 0.5
                    while not self._closed:
                        message = await pubsub.get_message(timeout=HEARTBEAT)
                        if message is not None and message.get("type") == "message":
                            self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting or unreachable: streams stay open, we come back
                self.subscribed.clear()
                log.warning("live updates: Redis subscription lost (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX)
            finally:
                await client.aclose()

    def _dispatch(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
            thread_id, post_id = int(message["thread"]), int(message["post"])
        except (ValueError, KeyError, TypeError):
            log.warning("live updates: ignored a malformed message")
            return
        for queue in self._listeners.get(thread_id, ()):
            with contextlib.suppress(asyncio.QueueFull):  # a reader this far behind gets the count on its next page
                queue.put_nowait(post_id)

    @contextlib.contextmanager
    def listen(self, thread_id: int) -> Iterator[asyncio.Queue[int | None]]:
        queue: asyncio.Queue[int | None] = asyncio.Queue(QUEUE_SIZE)
        self._listeners.setdefault(thread_id, set()).add(queue)
        try:
            yield queue
        finally:
            listeners = self._listeners.get(thread_id)
            if listeners is not None:
                listeners.discard(queue)
                if not listeners:
                    del self._listeners[thread_id]

    @property
    def open_streams(self) -> int:
        return sum(len(queues) for queues in self._listeners.values())

    def close_streams(self) -> None:
        """Ends every open stream (at shutdown, so stopping does not wait for readers to leave)."""
        self._closed = True
        for queues in self._listeners.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)

    async def stop(self) -> None:
        self.close_streams()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


LIVE: web.AppKey[LiveHub] = web.AppKey("live", LiveHub)


async def live_updates(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the process's subscription, from start-up to shutdown."""
    settings = app[STATE].settings
    hub = LiveHub(settings.redis_url, channel_for(settings.base_url))
    app[LIVE] = hub
    hub.start()
    yield
    await hub.stop()


async def end_streams(app: web.Application) -> None:
    """on_shutdown: runs before the server waits for handlers to finish, so open streams end at once."""
    if LIVE in app:
        app[LIVE].close_streams()


async def publish_post(request: web.Request, *, thread_id: int, post_id: int) -> None:
    """Tell every process of this node that `post_id` was added to `thread_id`. Call after the commit."""
    app = state(request)
    await publish(app.kv, app.settings.base_url, thread_id=thread_id, post_id=post_id)


async def publish(redis: Redis, base_url: str, *, thread_id: int, post_id: int) -> None:
    """The same, for a process without requests: the federation worker after a peer's reply is stored."""
    try:
        await redis.publish(channel_for(base_url), json.dumps({"thread": thread_id, "post": post_id}))
    except Exception as exc:  # the post is saved; only the live notice is lost
        log.warning("live updates: could not publish post %s (%s)", post_id, exc)


def _event(post_id: int) -> bytes:
    return f"id: {post_id}\nevent: post\ndata: {post_id}\n\n".encode()


def _position(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


async def thread_events(request: web.Request) -> web.StreamResponse:
    try:
        thread_id = int(request.match_info["thread_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    positions = [p for p in (_position(request.query.get("after")), _position(request.headers.get("Last-Event-ID")))
                 if p is not None]  # fmt: skip
    last = max(positions) if positions else None
    app = state(request)
    hub = request.app[LIVE]
    with hub.listen(thread_id) as queue:  # listening before the backlog query: nothing falls between the two
        async with app.db.acquire() as conn:
            if last is None:
                await forums.access_thread(conn, thread_id, viewer=request.get(USER))
                backlog = []
            else:
                view = await forums.thread_page(
                    conn, thread_id=thread_id, viewer=request.get(USER), after_id=last, limit=BACKLOG
                )
                backlog = [post.id for post in view.posts]
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                # nginx: pass each event on at once instead of buffering the response.
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):  # the reader left: found at the next write
            await _stream(response, queue, backlog, sent=last or 0)
    return response


async def _stream(response: web.StreamResponse, queue: asyncio.Queue[int | None], backlog: list[int], *,
                  sent: int) -> None:  # fmt: skip
    await response.write(b"retry: 5000\n\n")
    for post_id in backlog:
        await response.write(_event(post_id))
        sent = max(sent, post_id)
    while True:
        try:
            added = await asyncio.wait_for(queue.get(), HEARTBEAT)
        except TimeoutError:
            await response.write(b": still here\n\n")
            continue
        if added is None:
            return
        if added > sent:
            await response.write(_event(added))
            sent = added


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/t/{thread_id}/events", thread_events, name="thread_events")
