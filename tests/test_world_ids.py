"""Simulated platform ids: platform-shaped, time-ordered, and never issued twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.world import Actor, IdMaker, Post, World

AT = datetime(2026, 11, 14, 9, 10, tzinfo=UTC)


def test_many_comments_at_one_moment_keep_distinct_ids_and_none_is_lost():
    # Facebook numbers hold 10 values per millisecond: 40 Pages whose posts and comments
    # are all written in the same minute (copies of one scripted scene) need more.
    world = World("facebook", now=AT + timedelta(days=1))
    world.add_actor(Actor("900", "kunde", "Kunde"))
    comments = []
    for page in range(40):
        page_id = str(104872236015201 + page)
        world.add_actor(Actor(page_id, f"page{page}", f"Page {page}"))
        post = world.post(page_id, AT, "Neue Brötchen!", page_id=page_id)
        comments.append(world.post("900", AT, "Habt ihr offen?", reply_to=post.id))
    assert len(world.posts) == 80
    assert len({c.id for c in comments}) == 40
    for comment in comments:
        assert world.posts[comment.id] is comment  # nothing overwritten
        assert world.children(comment.parent_id) == [comment]


def test_ids_still_sort_by_time_and_look_like_the_platforms():
    make = IdMaker("instagram")
    first = [make(AT) for _ in range(250)]  # more than the 100 values of a millisecond
    later = make(AT + timedelta(seconds=1))
    assert len(set(first)) == 250 and all(i.isdigit() and len(i) == 17 for i in first)
    assert max(int(i) for i in first) < int(later)
    snowflake = IdMaker("x")(AT)
    assert ((int(snowflake) >> 22) + 1288834974657) == int(AT.timestamp() * 1000)


def test_a_post_id_cannot_be_reused():
    world = World("x", now=AT)
    world.add_actor(Actor("1", "shop", "Shop"))
    world.add_post(Post(id="42", author_id="1", created_at=AT))
    with pytest.raises(ValueError, match="post 42 exists already"):
        world.add_post(Post(id="42", author_id="1", created_at=AT, text="again"))
    assert world.posts["42"].text == ""
