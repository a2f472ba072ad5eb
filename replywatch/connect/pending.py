"""Connects in progress: the ``state`` bound to who started it, usable once, for a while.

A connect starts with a random ``state`` (256 bits) that goes to the platform and comes
back with the person. Only its SHA-256 is stored, next to the SHA-256 of the *holder*: the
dashboard session's token, or a random value the command line process keeps to itself.
A callback is taken only if its state is known (else it is *forged*), not used before
(else *replayed*), from the same holder (else somebody else's browser brought it) and
within :data:`LIFETIME`. Taking it is one conditional UPDATE, so that two callbacks with
the same state cannot both pass, whichever process answers them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from replywatch.connect.grants import ConnectError, Refusal
from storage.models import ConnectFlow

LIFETIME = timedelta(minutes=15)  # to log in at the platform, consent and choose Pages
KEEP_FINISHED = timedelta(days=1)  # refused and finished flows stay a day for the log


class Stage:
    AUTHORIZING = "authorizing"  # the person is at the platform
    EXCHANGING = "exchanging"  # the callback came; the code is being exchanged
    CHOOSING = "choosing"  # Meta: the Pages and Instagram accounts are offered
    DONE = "done"
    REFUSED = "refused"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_state() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Started:
    flow_id: int
    state: str


def open_flow(
    session: Session,
    *,
    holder: str,
    user_id: int | None,
    client_id: int,
    platform: str,
    redirect_uri: str,
    now: datetime,
) -> Started:
    """A new flow row (in the caller's transaction); returns its id and the plain state."""
    session.execute(delete(ConnectFlow).where(ConnectFlow.expires_at < now - KEEP_FINISHED))
    state = new_state()
    flow = ConnectFlow(
        state_hash=digest(state),
        holder_hash=digest(holder),
        user_id=user_id,
        client_id=client_id,
        platform=platform,
        redirect_uri=redirect_uri,
        stage=Stage.AUTHORIZING,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(flow)
    session.flush()
    return Started(flow.id, state)


def take_callback(session: Session, state: str, holder: str, now: datetime) -> ConnectFlow:
    """The flow ``state`` belongs to, moved on to EXCHANGING; ConnectError says why not."""
    flow = session.scalar(select(ConnectFlow).where(ConnectFlow.state_hash == digest(state)))
    if flow is None:
        raise ConnectError(
            Refusal.FORGED,
            "this link back from the platform belongs to no connect that was started here; "
            "nothing was connected",
        )
    if flow.holder_hash != digest(holder):
        raise ConnectError(
            Refusal.WRONG_HOLDER,
            "this link back from the platform belongs to a connect started by someone else "
            "(another login or browser); nothing was connected",
        )
    if flow.stage != Stage.AUTHORIZING:
        raise ConnectError(
            Refusal.REPLAYED,
            "this link back from the platform was used already; nothing more was connected",
        )
    if now >= flow.expires_at:
        raise ConnectError(Refusal.STALE, "this connect was started too long ago; start it again")
    taken = session.execute(
        update(ConnectFlow)
        .where(ConnectFlow.id == flow.id, ConnectFlow.stage == Stage.AUTHORIZING)
        .values(stage=Stage.EXCHANGING)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise ConnectError(
            Refusal.REPLAYED,
            "this link back from the platform was used already; nothing more was connected",
        )
    session.refresh(flow)
    return flow


def take_choice(session: Session, flow_id: int, holder: str, now: datetime) -> ConnectFlow:
    """The flow waiting for the person's choice, moved on to DONE; ConnectError if not."""
    flow = session.get(ConnectFlow, flow_id)
    if flow is None or flow.holder_hash != digest(holder):
        raise ConnectError(Refusal.FORGED, "there is no choice of accounts waiting here")
    if flow.stage != Stage.CHOOSING:
        raise ConnectError(Refusal.REPLAYED, "this choice was made already")
    if now >= flow.expires_at:
        raise ConnectError(Refusal.STALE, "this connect was started too long ago; start again")
    taken = session.execute(
        update(ConnectFlow)
        .where(ConnectFlow.id == flow.id, ConnectFlow.stage == Stage.CHOOSING)
        .values(stage=Stage.DONE, finished_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise ConnectError(Refusal.REPLAYED, "this choice was made already")
    session.refresh(flow)
    return flow


def waiting_choice(session: Session, flow_id: int, holder: str, now: datetime) -> ConnectFlow:
    """The flow whose choice is still open (to show it again); ConnectError if not."""
    flow = session.get(ConnectFlow, flow_id)
    if flow is None or flow.holder_hash != digest(holder) or flow.stage != Stage.CHOOSING:
        raise ConnectError(Refusal.FORGED, "there is no choice of accounts waiting here")
    if now >= flow.expires_at:
        raise ConnectError(Refusal.STALE, "this connect was started too long ago; start again")
    return flow


def finish(
    session: Session, flow_id: int, stage: str, now: datetime, sealed: str | None = None
) -> None:
    session.execute(
        update(ConnectFlow)
        .where(ConnectFlow.id == flow_id)
        .values(
            stage=stage,
            sealed=sealed,
            finished_at=now if stage in (Stage.DONE, Stage.REFUSED) else None,
        )
    )
