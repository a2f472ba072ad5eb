"""When to read a conversation again, where every thread costs one call.

Mastodon (``status_context``) and Bluesky (``getPostThread``) show a whole thread per call,
and nothing tells cheaply that an older thread changed. Conversations are lively while a
post is young and fall quiet later, so a thread of an own post is read

- when it was never read;
- when there is news: the root's reply count changed since the last read (the timeline
  shows fresh counts), or a notification brought a reply inside it during this run;
- otherwise when the time since the last read exceeds a quarter of the age the post had at
  that read, at least :data:`REREAD_MIN` and at most :data:`REREAD_MAX`: a thread read when
  its post was two hours old is read again 30 minutes later, one read at a day after 6
  hours, one read at a week after 42 hours;

and never once the post is older than the thread window (``collect.thread_days``). Each
read is a full view of the thread, which is also what lets deleted replies be marked removed.

The state of each thread is a cursor ``thread:<id>`` holding when it was read and the reply
count then, committed together with the thread's items.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

REREAD_FRACTION = 4
REREAD_MIN = timedelta(minutes=30)
REREAD_MAX = timedelta(days=2)
PREFIX = "thread:"


@dataclass(frozen=True)
class ThreadState:
    read_at: datetime
    replies: int  # the root's reply count as stored when the thread was read

    @classmethod
    def from_text(cls, text: str | None) -> ThreadState | None:
        if not text:
            return None
        try:
            values = json.loads(text)
            return cls(datetime.fromisoformat(values["at"]), int(values["replies"]))
        except (ValueError, KeyError, TypeError):
            return None  # unreadable state: read the thread again

    def to_text(self) -> str:
        return json.dumps({"at": self.read_at.isoformat(), "replies": self.replies},
                          separators=(",", ":"))  # fmt: skip


def reread_interval(age: timedelta) -> timedelta:
    """How long a thread read when its post was ``age`` old may go unread."""
    return min(max(age / REREAD_FRACTION, REREAD_MIN), REREAD_MAX)


def is_due(
    *,
    created_at: datetime,
    reply_count: int,
    state: ThreadState | None,
    now: datetime,
    window: timedelta,
    news: bool = False,
) -> bool:
    """Whether the thread of a post created at ``created_at`` should be read in this run."""
    if now - created_at > window:
        return False
    if state is None or news or reply_count != state.replies:
        return True
    return now - state.read_at >= reread_interval(state.read_at - created_at)


def key(short_id: str) -> str:
    """The cursor name of a thread (cursor names are at most 64 characters)."""
    return PREFIX + short_id
