"""Social: compose once, see the cost on each platform, get it approved, schedule, follow up."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from outreach import scheduling, vault
from outreach.errors import OutreachError
from outreach.org_settings import get_org
from outreach.roles import can
from outreach.social import accounts
from outreach.social import text as social_text
from outreach.social.images import MAX_IMAGES, prepare_image
from outreach.social.x import estimate_cost
from outreach.ui import auth, common
from outreach.worker import utcnow

db = common.engine()
campaign = common.current_campaign(db)
actor = auth.actor()
st.title("Social")


if campaign is not None:
    tz = campaign.timezone
    zone = ZoneInfo(tz)
    connected = scheduling.list_accounts(db, campaign.id)
    counts = scheduling.count_by_status(db, campaign.id)
    failed = counts["failed"]
    if failed:
        st.error(f"{failed} post(s) failed: see the Queue tab for the platform's message, "
                 "fix the cause, then retry.")
    tab_compose, tab_queue, tab_week, tab_accounts = st.tabs(
        ["Compose", "Queue", "Calendar", "Accounts"])

    with tab_accounts:
        common.show_table(connected, tz, "No accounts connected yet.",
                          column_order=["platform", "handle"])
        if can(actor, "admin"):
            the_vault = vault.Vault.open(common.settings())
            with st.form("bluesky", clear_on_submit=True):
                st.markdown("**Connect a Bluesky account** (use an app password, not the "
                            "account's own password)")
                handle = st.text_input("Handle", placeholder="local101.bsky.social")
                password = st.text_input("App password", type="password")
                service = st.text_input("Server", value=accounts.DEFAULT_BLUESKY_SERVICE,
                                        help="Change only for a self-hosted PDS.")
                if st.form_submit_button("Connect Bluesky"):
                    common.attempt(lambda: accounts.connect_bluesky(
                        db, the_vault, actor, campaign.id, handle, password,
                        service_url=service, now=utcnow()),
                        f"Connected {handle.strip()}: signed in successfully.")
            with st.form("x", clear_on_submit=True):
                st.markdown("**Connect an X account** (keys from the X developer portal, "
                            "with read and write permission)")
                keys = {k: st.text_input(label, type="password")
                        for k, label in vault.ACCOUNT_FIELDS["x"]}
                if st.form_submit_button("Connect X"):
                    common.attempt(lambda: accounts.connect_x(db, the_vault, actor, campaign.id,
                                                       keys, now=utcnow()),
                            "Connected: X confirmed the keys.")
        else:
            st.caption("Connecting accounts needs the admin role.")

    with tab_compose:
        if not can(actor, "editor"):
            st.caption("Composing needs the editor role.")
        elif not connected:
            st.info("Connect a Bluesky or X account first (Accounts tab).")
        else:
            labels = {a["id"]: f"{a['platform']}: {a['handle']}" for a in connected}
            account_id = st.selectbox("Account", list(labels), format_func=labels.__getitem__)
            platform = next(a["platform"] for a in connected if a["id"] == account_id)
            kinds = {"post": "A post or thread",
                     "quote": "Quote someone's post (solidarity, with your words)",
                     "repost": "Repost someone's post (solidarity)"}
            kind = st.radio("What", list(kinds), horizontal=True, format_func=kinds.__getitem__)
            parts: list[str] = []
            images: list = []
            target = ""
            if kind == "quote":
                target = st.text_input("Address of the post to quote",
                                       placeholder="https://bsky.app/profile/.../post/...")
            if kind != "repost":
                text = st.text_area("Text", height=160)
                thread = st.checkbox("Split into a thread if it is too long", value=True)
                number = st.checkbox("Number the parts 1/n", value=True)
                if text.strip():
                    try:
                        parts = social_text.split_thread(text, platform, number=number) \
                            if thread else [text]
                    except OutreachError as exc:
                        st.error(str(exc))
                    for i, part in enumerate(parts, start=1):
                        c = social_text.count(part, platform)
                        shown = social_text.bluesky_display_text(part) \
                            if platform == "bluesky" else part
                        st.markdown(f"**{i}/{len(parts)}** · {c.used} / {c.limit} {c.unit}"
                                    + ("" if c.fits else " · **too long**"))
                        st.text(shown)
                    if platform == "x" and parts:
                        st.caption(f"Estimated X cost: ${sum(estimate_cost(p) for p in parts):.3f}")
                uploads = st.file_uploader(
                    f"Images (up to {MAX_IMAGES}, JPEG or PNG)", type=["jpg", "jpeg", "png"],
                    accept_multiple_files=True,
                    help="Location and camera data are removed before anything is stored.")
                for i, upload in enumerate(uploads[:MAX_IMAGES]):
                    alt = st.text_input(f"Alt text for {upload.name}", key=f"alt-{i}",
                                        help="What a screen reader should say. Required.")
                    try:
                        images.append(prepare_image(upload.getvalue(), alt, platform))
                    except OutreachError as exc:
                        st.warning(str(exc))
                if len(uploads) > MAX_IMAGES:
                    st.warning(f"Only the first {MAX_IMAGES} images are used.")
            else:
                target = st.text_input("Address of the post to repost",
                                       placeholder="https://bsky.app/profile/.../post/...")
            when = st.radio("When", ["at a time", "next free slot"], horizontal=True)
            at = None
            if when == "at a time":
                cols = st.columns(2)
                day = cols[0].date_input("Date", value=datetime.now(zone).date())
                time_ = cols[1].time_input("Time", value=(datetime.now(zone) +
                                                          timedelta(hours=1)).time())
                at = datetime.combine(day, time_, zone)
                st.caption(f"In {tz}.")
            else:
                try:
                    at = scheduling.next_free_slot(db, account_id, after=utcnow())
                    st.caption(f"Next free slot: {at.astimezone(zone):%a %d %b %H:%M} ({tz}).")
                except OutreachError as exc:
                    st.warning(str(exc))
            needs_vote = get_org(db).posts_need_approval and kind != "repost"
            if st.button("Save for the committee's approval" if needs_vote else "Schedule",
                         type="primary", disabled=at is None):
                post_id = common.attempt(lambda: scheduling.create_post(
                    db, actor, account_id, parts, now=utcnow(), at=at, kind=kind,
                    target_url=target, images=images),
                    "Saved: submit it for approval from the Queue tab." if needs_vote
                    else "Scheduled: the worker publishes it on time.")
                if post_id:
                    st.session_state["post_id"] = post_id

    with tab_queue:
        state = st.selectbox("Show", ["all", *counts],
                             format_func=lambda s: s if s == "all"
                             else f"{s.replace('_', ' ')} ({counts[s]})")
        rows = scheduling.list_posts(db, campaign.id, status=None if state == "all" else state)
        common.show_table(rows, tz, "No posts.",
                          column_order=["id", "status", "scheduled_at", "platform", "account",
                                        "text", "published_at", "last_error", "late"])
        if rows and can(actor, "editor"):
            ids = [r["id"] for r in rows]
            remembered = st.session_state.get("post_id")
            post_id = st.selectbox("Post", ids, index=ids.index(remembered)
                                   if remembered in ids else 0)
            post = scheduling.get_post(db, post_id)
            status = post["status"]
            if post["last_error"]:
                st.error(f"The platform said: {post['last_error']}")
            cols = st.columns(5)
            if status in ("draft", "changes_requested") and cols[0].button("Submit"):
                common.attempt(lambda: scheduling.submit_post(db, actor, post_id, now=utcnow()),
                        "Submitted for approval.")
            if status in ("failed", "held") and cols[1].button("Retry now"):
                common.attempt(lambda: scheduling.retry_post(db, actor, post_id, now=utcnow()),
                        "Back in the queue.")
            if cols[2].button("Duplicate"):
                common.attempt(lambda: scheduling.duplicate_post(db, actor, post_id, now=utcnow()),
                        "Duplicated as a draft.")
            if status not in ("publishing", "published", "cancelled"):
                sure = cols[3].checkbox("Sure?", key=f"cancel-{post_id}")
                if cols[4].button("Cancel post", disabled=not sure):
                    common.attempt(lambda: scheduling.cancel_post(db, actor, post_id, now=utcnow()),
                            "Cancelled.")
            if status == "in_review" and can(actor, "approver"):
                with st.form("post_vote", clear_on_submit=True):
                    decision = st.radio("Your vote", ["approve", "reject"], horizontal=True)
                    comment = st.text_input("Comment (required to reject)")
                    if st.form_submit_button("Cast vote"):
                        common.attempt(lambda: scheduling.vote_post(db, actor, post_id, decision,
                                                             comment, now=utcnow()),
                                "Vote recorded.")
            if status not in ("publishing", "published", "cancelled"):
                with st.form("reschedule"):
                    cols = st.columns(2)
                    current = (post["scheduled_at"] or utcnow()).astimezone(zone)
                    day = cols[0].date_input("New date", value=current.date())
                    time_ = cols[1].time_input("New time", value=current.time())
                    if st.form_submit_button("Reschedule"):
                        common.attempt(lambda: scheduling.reschedule(
                            db, actor, post_id, datetime.combine(day, time_, zone),
                            now=utcnow()), "Rescheduled.")

    with tab_week:
        upcoming = [r for r in scheduling.list_posts(db, campaign.id)
                    if r["scheduled_at"] and r["status"] not in ("cancelled",)]
        view = st.radio("View", ["week", "month"], horizontal=True)
        start = datetime.now(zone).date()
        days = 7 if view == "week" else 31
        window = [r for r in upcoming
                  if 0 <= (r["scheduled_at"].astimezone(zone).date() - start).days < days]
        if not window:
            st.caption(f"Nothing scheduled in the next {days} days.")
        else:
            frame = pd.DataFrame([{
                "day": r["scheduled_at"].astimezone(zone).strftime("%a %d %b"),
                "time": r["scheduled_at"].astimezone(zone).strftime("%H:%M"),
                "account": f"{r['platform']}: {r['account']}",
                "status": r["status"], "text": r["text"][:80],
            } for r in sorted(window, key=lambda r: r["scheduled_at"])])
            if view == "week":
                st.dataframe(frame, hide_index=True)
            else:
                st.bar_chart(frame.groupby("day", sort=False).size().rename("posts"))
