"""Social: compose once, see the cost on each platform, get it approved, schedule, follow up."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from outreach.auth import vault
from outreach.clock import utcnow
from outreach.errors import OutreachError
from outreach.org_settings import get_org
from outreach.releases import protected_names
from outreach.roles import can
from outreach.safety import md_escape
from outreach.social import accounts
from outreach.social import queue as post_queue
from outreach.social import text as social_text
from outreach.social.adapters import linkcard
from outreach.social.adapters.x import estimate_cost
from outreach.social.images import MAX_IMAGES, prepare_image
from outreach.ui import auth, calendar, common

db = common.engine()
campaign = common.current_campaign(db)
actor = auth.actor()
st.title("Social")


def show_parts(parts: list[str], platform: str) -> None:
    """Each part as the platform will show it, with its count against the limit."""
    for i, part in enumerate(parts, start=1):
        c = social_text.count(part, platform)
        shown = social_text.bluesky_display_text(part) if platform == "bluesky" else part
        st.markdown(f"**{i}/{len(parts)}** · {c.used} / {c.limit} {c.unit}"
                    + ("" if c.fits else " · **too long**"))
        st.text(shown)


def split(text: str, platform: str, thread: bool, number: bool) -> list[str]:
    """The parts of `text` on `platform`, or none (with the reason shown) if it cannot split."""
    if not text.strip():
        return []
    try:
        return social_text.split_thread(text, platform, number=number) if thread else [text]
    except OutreachError as exc:
        common.refusal(exc)
        return []


def compose_variant(account_id: int, platform: str, text: str, thread: bool, number: bool,
                    uploads: list, alts: list[str], draft: str) -> post_queue.Variant | None:
    """One account's tab: its own wording if wanted, the preview, its prepared images."""
    if st.checkbox("Write different words for this account", key=f"{draft}-own-{account_id}"):
        text = st.text_area("Text for this account", value=text, height=140,
                            key=f"{draft}-text-{account_id}")
    parts = split(text, platform, thread, number)
    show_parts(parts, platform)
    link = linkcard.first_link(parts[0]) if parts and platform == "bluesky" else None
    if link and not uploads:
        show_card(link, f"{draft}-card-{account_id}")
    images = []
    for upload, alt in zip(uploads, alts, strict=False):
        try:
            images.append(prepare_image(upload.getvalue(), alt, platform))
        except OutreachError as exc:
            common.refusal(exc, warn=True)
    if not parts:
        return None
    return post_queue.Variant(account_id, parts, tuple(images))


@st.cache_data(ttl=600, show_spinner="Reading the page's preview tags...")
def card_for(url: str) -> tuple[str, str, bytes | None] | str:
    """The link card the worker would attach, or why it cannot (kept ten minutes)."""
    try:
        card = linkcard.preview(url, common.settings())
    except OutreachError as exc:
        return str(exc)
    return card.title, card.description, card.thumb


def show_card(url: str, key: str) -> None:
    """The Bluesky link card for the post's first link, fetched when asked for."""
    st.caption(f"Bluesky shows a link card for {md_escape(url)} (fetched again when it is "
               "published).")
    if not st.toggle("Preview the link card", key=key):
        return
    card = card_for(url)
    if isinstance(card, str):
        common.refusal(f"No card: {card} The post goes out without one.", warn=True)
        return
    title, description, thumb = card
    with st.container(border=True):
        if thumb:
            st.image(thumb, width=240)
        st.markdown(f"**{md_escape(title)}**")
        st.caption(md_escape(description))


def choose_time(chosen: list[int], draft: str) -> datetime | None:
    """A time in the committee's zone, or the first account's next free slot."""
    when = st.radio("When", ["at a time", "next free slot"], horizontal=True,
                    key=f"{draft}-when")
    if when == "at a time":
        # The default is worked out once: a minute later the chosen time must still stand.
        soon = (datetime.now(zone) + timedelta(hours=1)).replace(second=0, microsecond=0)
        cols = st.columns(2)
        day = cols[0].date_input("Date", key=common.remember(f"{draft}-date", soon.date()))
        time_ = cols[1].time_input("Time", key=common.remember(f"{draft}-time", soon.time()))
        st.caption(f"In {tz}.")
        return datetime.combine(day, time_, zone)
    if not chosen:
        return None
    try:
        at = post_queue.next_free_slot(db, chosen[0], after=utcnow())
    except OutreachError as exc:
        common.refusal(exc, warn=True)
        return None
    st.caption(f"Next free slot: {at.astimezone(zone):%a %d %b %H:%M} ({tz}).")
    return at


def show_x_cost(variants: list[post_queue.Variant], kind: str, at: datetime | None) -> None:
    """What this post costs on X, and the month's X queue with it."""
    prices = org.x_prices
    x_ids = {a["id"] for a in connected if a["platform"] == "x"}
    this = sum(prices["post"] if kind == "repost" else estimate_cost(p, prices=prices)
               for v in variants if v.account_id in x_ids for p in v.parts or [""])
    month = (at or utcnow()).astimezone(zone)
    queued, requests = post_queue.x_month_cost(db, campaign.id, year=month.year,
                                               month=month.month, prices=prices)
    st.caption(f"Estimated X cost: ${this:.3f} for this post; ${queued:.2f} for the "
               f"{requests} X post request(s) already queued in {month:%B %Y}. Prices are "
               "set in Settings > Committee.")


if campaign is not None:
    tz = campaign.timezone
    zone = ZoneInfo(tz)
    connected = post_queue.list_accounts(db, campaign.id)
    org = get_org(db)
    counts = post_queue.count_by_status(db, campaign.id)
    failed = counts["failed"]
    if failed:
        st.error(f"{failed} post(s) failed: see the Queue tab for the platform's message, "
                 "fix the cause, then retry.")
    tab_compose, tab_queue, tab_calendar, tab_accounts = common.tabs(
        ["Compose", "Queue", "Calendar", "Accounts"])

    with tab_accounts:
        common.show_table([{**a, "slots": post_queue.describe_slots(a["slot_plan"])}
                           for a in connected], tz, "No accounts connected yet.",
                          column_order=["platform", "handle", "slots"])
        if connected and can(actor, "editor"):
            with st.form("slots"):
                st.markdown(f"**Weekly posting slots** ({tz}), used by \"next free slot\"")
                plans = {a["id"]: st.text_input(
                    f"{a['platform']}: {a['handle']}",
                    value=post_queue.describe_slots(a["slot_plan"]) if a["slot_plan"] else "",
                    placeholder="Mon 09:00, Wed 18:30, Sat 10:00",
                    key=f"slots-{a['id']}")
                    for a in connected}
                if st.form_submit_button("Save slots"):
                    changed = [a for a in connected if plans[a["id"]].strip() != (
                        post_queue.describe_slots(a["slot_plan"]) if a["slot_plan"] else "")]
                    if not changed:
                        st.info("Nothing changed.")
                    for a in changed:
                        common.attempt(lambda a=a: post_queue.set_slot_plan(
                            db, actor, a["id"], [post_queue.parse_slot(x) for x in
                                                 plans[a["id"]].split(",") if x.strip()],
                            now=utcnow()), f"Slots saved for {a['handle']}.")
        if can(actor, "admin"):
            the_vault = vault.Vault.open(common.settings(), db)
            with st.form(common.form_round("bluesky")):
                st.markdown("**Connect a Bluesky account** (use an app password, not the "
                            "account's own password)")
                handle = st.text_input("Handle", placeholder="local101.bsky.social")
                password = st.text_input("App password", type="password")
                service = st.text_input("Server", value=accounts.DEFAULT_BLUESKY_SERVICE,
                                        help="Change only for a self-hosted PDS.")
                if st.form_submit_button("Connect Bluesky"):
                    common.attempt(lambda: accounts.connect_bluesky(
                        db, the_vault, actor, campaign.id, handle, password,
                        service_url=service, now=utcnow(),
                        guard=common.url_guard()),
                        f"Connected {handle.strip()}: signed in successfully.",
                        clears="bluesky")
            with st.form(common.form_round("x")):
                st.markdown("**Connect an X account** (keys from the X developer portal, "
                            "with read and write permission)")
                keys = {k: st.text_input(label, type="password")
                        for k, label in vault.ACCOUNT_FIELDS["x"]}
                if st.form_submit_button("Connect X"):
                    common.attempt(lambda: accounts.connect_x(db, the_vault, actor, campaign.id,
                                                       keys, now=utcnow()),
                            "Connected: X confirmed the keys.", clears="x")
        else:
            st.caption("Connecting accounts needs the admin role.")

    with tab_compose:
        if not can(actor, "editor"):
            st.caption("Composing needs the editor role.")
        elif not connected:
            st.info("Connect a Bluesky or X account first (Accounts tab).")
        else:
            labels = {a["id"]: f"{a['platform']}: {a['handle']}" for a in connected}
            platform_of = {a["id"]: a["platform"] for a in connected}
            # Every input belongs to this round: once saved, the composer starts empty, so a
            # second click cannot schedule the same post twice.
            draft = common.form_round("compose")
            chosen = st.multiselect(
                "Post from", list(labels), default=list(labels)[:1], key=f"{draft}-from",
                format_func=labels.__getitem__,
                help="Pick several accounts to post the same message everywhere; each can "
                "have its own wording below.")
            # Said before saving: a post on an account that cannot publish would only fail.
            for problem in accounts.publishing_problems(db, common.settings(), chosen).values():
                st.warning(problem, icon=":material/key_off:")
            kinds = {"post": "A post or thread",
                     "quote": "Quote someone's post (solidarity, with your words)",
                     "repost": "Repost someone's post (solidarity)"}
            kind = st.radio("What", list(kinds), horizontal=True, format_func=kinds.__getitem__,
                            key=f"{draft}-kind")
            variants: list[post_queue.Variant] = []
            target = ""
            if kind == "quote":
                target = st.text_input("Address of the post to quote", key=f"{draft}-quote",
                                       placeholder="https://bsky.app/profile/.../post/...")
            if kind != "repost":
                text = st.text_area("Text", height=160, key=f"{draft}-text")
                cols = st.columns(2)
                thread = cols[0].checkbox("Split into a thread if it is too long", value=True,
                                          key=f"{draft}-thread")
                number = cols[1].checkbox("Number the parts 1/n", value=True,
                                          key=f"{draft}-number")
                uploads = st.file_uploader(
                    f"Images (up to {MAX_IMAGES}, JPEG or PNG)", type=["jpg", "jpeg", "png"],
                    accept_multiple_files=True, key=f"{draft}-images",
                    help="Location and camera data are removed before anything is stored.")
                if len(uploads) > MAX_IMAGES:
                    st.warning(f"Only the first {MAX_IMAGES} images are used.")
                alts = [st.text_input(f"Alt text for {md_escape(upload.name)}",
                                      key=f"{draft}-alt-{i}",
                                      help="What a screen reader should say. Required.")
                        for i, upload in enumerate(uploads[:MAX_IMAGES])]
                for account_id, tab in zip(chosen, st.tabs([labels[a] for a in chosen]),
                                           strict=True):
                    with tab:
                        variant = compose_variant(account_id, platform_of[account_id], text,
                                                  thread, number, uploads, alts, draft)
                    if variant is not None:
                        variants.append(variant)
            else:
                target = st.text_input("Address of the post to repost", key=f"{draft}-repost",
                                       placeholder="https://bsky.app/profile/.../post/...")
                variants = [post_queue.Variant(a, []) for a in chosen]
            at = choose_time(chosen, draft)
            if any(platform_of[a] == "x" for a in chosen):
                show_x_cost(variants, kind, at)
            needs_vote = org.posts_need_approval and kind != "repost"
            if st.button("Save for the committee's approval" if needs_vote else "Schedule",
                         type="primary", disabled=at is None or not chosen,
                         key=f"{draft}-save"):
                common.attempt(lambda: post_queue.create_posts(
                    db, actor, variants, now=utcnow(), at=at, kind=kind, target_url=target),
                    "Saved: submit it for approval from the Queue tab." if needs_vote
                    else "Scheduled: the worker publishes it on time.",
                    then=lambda ids: common.show_next("post_id", ids[0]), clears="compose")

    with tab_queue:
        state = st.selectbox("Show", ["all", *counts],
                             format_func=lambda s: s if s == "all"
                             else f"{s.replace('_', ' ')} ({counts[s]})")
        rows = post_queue.list_posts(db, campaign.id, status=None if state == "all" else state)
        common.show_table(rows, tz, "No posts.",
                          column_order=["id", "status", "scheduled_at", "platform", "account",
                                        "text", "published_at", "last_error", "late"])
        if rows and can(actor, "editor"):
            ids = [r["id"] for r in rows]
            post_id = st.selectbox("Post", ids,
                                   key=common.remember("post_id", ids[0], options=ids))
            post = post_queue.get_post(db, post_id)
            status = post["status"]
            tally = post_queue.post_tally(db, post_id) if status == "in_review" else None
            if tally:
                st.markdown(f"**In review:** {tally.describe()} (the rule: "
                            f"{org.post_rule.describe()})")
                if tally.problem():
                    st.warning(tally.problem(), icon=":material/group_off:")
                common.rerun_when_changed(lambda: post_queue.get_post(db, post_id)["status"])
            words, matches = post_queue.protected_matches(db, post_id) \
                if status not in ("published", "cancelled") else ("", [])
            if matches:
                st.error("This post names a protected member: it is held, never sent, while "
                         "it does. Edit the words or the alt text below and ask the committee "
                         "again.", icon=":material/block:")
                st.markdown(protected_names.highlight_markdown(words, matches),
                            unsafe_allow_html=True)
            elif post["last_error"]:
                st.error(md_escape(post["last_error"] if status == "held"
                                   else f"The platform said: {post['last_error']}"))
            cols = st.columns(5)
            if status in ("draft", "changes_requested") and cols[0].button("Submit"):
                common.attempt(lambda: post_queue.submit_post(db, actor, post_id, now=utcnow()),
                        "Submitted for approval.")
            if status in ("failed", "held") and cols[1].button("Retry now"):
                common.attempt(lambda: post_queue.retry_post(db, actor, post_id, now=utcnow()),
                        "Back in the queue.")
            if cols[2].button("Duplicate"):
                common.attempt(lambda: post_queue.duplicate_post(db, actor, post_id, now=utcnow()),
                        "Duplicated as a draft.")
            if status not in ("publishing", "published", "cancelled"):
                sure = cols[3].checkbox("Sure?", key=f"cancel-{post_id}")
                if cols[4].button("Cancel post", disabled=not sure):
                    common.attempt(lambda: post_queue.cancel_post(db, actor, post_id, now=utcnow()),
                            "Cancelled.")
            if tally and can(actor, "approver") and actor.name in tally.authors:
                st.caption("You wrote these words, so your vote cannot count toward their "
                           "approval.")
            elif tally and can(actor, "approver"):
                vote_form = f"post-vote-{post_id}-{post['version']}"
                with st.form(common.form_round(vote_form)):
                    decision = st.radio("Your vote", ["approve", "reject"], horizontal=True)
                    comment = st.text_input("Comment (required to reject)")
                    if st.form_submit_button("Cast vote"):
                        common.attempt(lambda: post_queue.vote_post(db, actor, post_id, decision,
                                                             comment, now=utcnow()),
                                lambda result: f"Vote recorded. {result.describe()}.",
                                clears=vote_form)
            if status not in ("publishing", "published", "cancelled") \
                    and post["kind"] != "repost":
                with st.form(f"edit-{post_id}-{post['version']}"):
                    st.markdown("**Edit the words**" + (
                        " (the committee approves it again)"
                        if org.posts_need_approval else ""))
                    texts = [st.text_area(f"Part {p['position'] + 1}", value=p["text"])
                             for p in post["parts"]]
                    extra = st.text_area("Add a part at the end", value="",
                                         help="Leave a part empty to remove it.")
                    alts = [st.text_input(f"Alt text of image {i + 1}", value=image["alt"],
                                          help="What a screen reader should say. Public "
                                          "on Bluesky, like the words.")
                            for i, image in enumerate(post["images"])]
                    if st.form_submit_button("Save the words"):
                        common.attempt(lambda: post_queue.edit_post(
                            db, actor, post_id, [*texts, extra], now=utcnow(), alts=alts),
                            lambda status: f"Saved; the post is {status.replace('_', ' ')}.")
            if status not in ("publishing", "published", "cancelled"):
                with st.form("reschedule"):
                    cols = st.columns(2)
                    current = (post["scheduled_at"] or utcnow()).astimezone(zone)
                    day = cols[0].date_input("New date", value=current.date(),
                                             key=f"resched-date-{post_id}")
                    time_ = cols[1].time_input("New time", value=current.time(),
                                               key=f"resched-time-{post_id}")
                    if st.form_submit_button("Reschedule"):
                        common.attempt(lambda: post_queue.reschedule(
                            db, actor, post_id, datetime.combine(day, time_, zone),
                            now=utcnow()), "Rescheduled.")

    with tab_calendar:
        calendar.render(post_queue.list_posts(db, campaign.id), tz, "social-calendar")
