"""Settings: campaigns, users, credentials, the audit log and configuration, by role."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import streamlit as st

from outreach import campaigns
from outreach.auth import audit, sessions, throttle, users, vault
from outreach.clock import utcnow
from outreach.errors import VaultError
from outreach.ops.worker import settings_compared, worker_status
from outreach.org_settings import SMTP_SECURITY, ApprovalRule, get_org, set_org
from outreach.releases import approval
from outreach.roles import ROLE_HELP, ROLES, can
from outreach.safety import csv_text
from outreach.social import queue as post_queue
from outreach.store.tables import CAMPAIGN_EVENT_KINDS
from outreach.ui import auth, common

db = common.engine()
settings = common.settings()
actor = auth.actor()
st.title("Settings")
common.show_worker_status(db)


existing = campaigns.list_campaigns(db)
sections = ["Campaigns"] + (
    ["Committee", "Users", "Credentials", "Audit log", "Configuration"]
    if can(actor, "admin") else []
)
tabs = dict(zip(sections, common.tabs(sections), strict=True))


def approval_rules(org) -> None:
    """The committee's three approval rules, each with what it asks of today's committee.

    Outside the committee form, so that N is offered only for "at least N approvers"."""
    st.markdown("**Approval rules** (an author's own vote never counts)")
    approvers = len(approval.approver_names(db))
    rules = {}
    for name, label in (("release_rule", "Releases"),
                        ("rapid_response_rule", "Rapid-response releases"),
                        ("post_rule", "Posts")):
        current = getattr(org, name)
        cols = st.columns([3, 1])
        kind = cols[0].selectbox(label, ["majority", "at_least"],
                                 index=0 if current.kind == "majority" else 1,
                                 format_func=lambda k: "a majority of approvers"
                                 if k == "majority" else "at least N approvers",
                                 key=f"rule-{name}")
        n = current.n
        if kind == "at_least":
            n = int(cols[1].number_input("N", min_value=1, max_value=50, value=current.n,
                                         key=f"rule-n-{name}"))
        rule = ApprovalRule(kind, n)
        rules[name] = {"kind": kind, "n": n}
        problem = approval.rule_problem(rule, approvers)
        if problem:
            st.warning(problem, icon=":material/group_off:")
        else:
            st.caption(f"With today's {approvers} approvers: {approval.needed(rule, approvers)}"
                       f" approval(s) when an editor wrote it, "
                       f"{approval.needed(rule, approvers - 1)} when an approver did.")
    if st.button("Save approval rules"):
        common.attempt(lambda: set_org(db, actor, rules, now=utcnow()),
                       "Saved the approval rules.")


with tabs["Campaigns"]:
    common.show_table(
        [{"name": c.name, "employer": c.employer, "union": c.union_name,
          "time zone": c.timezone, "keywords": ", ".join(c.keywords)} for c in existing],
        settings.timezone, "No campaigns yet.",
    )
    if can(actor, "admin"):
        with st.form(common.form_round("add_campaign")):
            st.markdown("**Add a campaign**")
            name = st.text_input("Name", help="e.g. 'Acme warehouse first contract'")
            employer = st.text_input("Employer")
            union = st.text_input("Union or local")
            tz = st.text_input("Time zone", value=settings.timezone,
                               help="IANA name such as America/Chicago; posts are "
                               "scheduled in it.")
            keywords = st.text_input("Keywords", help="Comma-separated; used to find coverage.")
            description = st.text_area("Description")
            if st.form_submit_button("Add campaign"):
                common.attempt(lambda: campaigns.create_campaign(
                    db, actor, name, now=utcnow(), timezone=tz.strip(), employer=employer,
                    union_name=union, description=description, keywords=keywords.split(",")),
                    f"Added the campaign {name.strip()}; every page now shows it.",
                    then=lambda added: common.show_next(common.CAMPAIGN_KEY, added.id),
                    clears="add_campaign")
    if existing and can(actor, "editor"):
        with st.form(common.form_round("add_event")):
            st.markdown("**Add an event to a campaign's timeline**")
            names = {c.id: c.name for c in existing}
            ids = list(names)
            chosen = st.session_state.get(common.CAMPAIGN_KEY)
            campaign_id = st.selectbox("Campaign", ids, format_func=names.__getitem__,
                                       index=ids.index(chosen) if chosen in ids else 0)
            event_date = st.date_input("Date", value=common.today(common.campaign_zone(db)))
            title = st.text_input("Title", help="e.g. 'Strike authorization vote'")
            kind = st.selectbox("Kind", CAMPAIGN_EVENT_KINDS,
                                format_func=lambda k: k.replace("_", " "))
            notes = st.text_input("Notes")
            if st.form_submit_button("Add event"):
                common.attempt(lambda: campaigns.add_event(
                    db, actor, campaign_id, event_date=event_date, title=title, kind=kind,
                    notes=notes, now=utcnow()), f"Added {event_date}: {title}.",
                    clears="add_event")

if "Committee" in tabs:
    with tabs["Committee"]:
        org = get_org(db)
        approval_rules(org)
        with st.form("org"):
            st.markdown("**For every release**")
            union_name = st.text_input("Union name", value=org.union_name)
            boilerplate = st.text_area("Boilerplate (About the union)", value=org.boilerplate)
            cols = st.columns(3)
            contact_name = cols[0].text_input("Media contact", value=org.media_contact_name)
            contact_phone = cols[1].text_input("Phone", value=org.media_contact_phone)
            contact_email = cols[2].text_input("E-mail", value=org.media_contact_email)
            posts_need = st.checkbox("Posts need approval before they are scheduled",
                                     value=org.posts_need_approval)
            cols = st.columns(2)
            late_after = cols[0].number_input(
                "A post is late after this many minutes", min_value=1, max_value=10_080,
                value=org.late_after_minutes,
                help="When the machine was off at a post's time, the worker finds it late.")
            hold_late = cols[1].checkbox(
                "Hold late posts for review instead of publishing them flagged late",
                value=org.hold_late_posts)
            st.markdown("**X prices** (X bills each request; the composer shows the cost)")
            cols = st.columns(2)
            price_post = cols[0].number_input(
                "Dollars per X post", min_value=0.0, max_value=10.0, step=0.005,
                format="%.3f", value=float(org.x_price_post))
            price_url = cols[1].number_input(
                "Dollars per X post with a link", min_value=0.0, max_value=10.0, step=0.01,
                format="%.3f", value=float(org.x_price_post_with_url))
            window = st.number_input(
                "A story earns a release when it runs within this many days of the pitch",
                min_value=1, max_value=90, value=org.coverage_window_days,
                help="Press hits by a journalist or outlet the release was pitched to are "
                "linked to it on the Releases page.")
            st.markdown("**Pitch e-mail (SMTP)** — the password is under Credentials.")
            cols = st.columns(3)
            host = cols[0].text_input("SMTP host", value=org.smtp_host)
            port = cols[1].number_input("Port", min_value=1, max_value=65535,
                                        value=org.smtp_port)
            security = cols[2].selectbox("Security", SMTP_SECURITY,
                                         index=SMTP_SECURITY.index(org.smtp_security))
            cols = st.columns(3)
            smtp_user = cols[0].text_input("User", value=org.smtp_user)
            sender = cols[1].text_input("From", value=org.smtp_from,
                                        help="e.g. Local 101 Media <media@example.org>")
            reply_to = cols[2].text_input("Reply-To", value=org.smtp_reply_to)
            rate = st.number_input("At most this many e-mails a minute", min_value=1,
                                   max_value=600, value=org.pitch_rate_per_minute)
            if st.form_submit_button("Save committee settings"):
                common.attempt(lambda: set_org(db, actor, {
                    "union_name": union_name, "boilerplate": boilerplate,
                    "media_contact_name": contact_name, "media_contact_phone": contact_phone,
                    "media_contact_email": contact_email,
                    "posts_need_approval": posts_need,
                    "late_after_minutes": int(late_after), "hold_late_posts": hold_late,
                    "x_price_post": price_post, "x_price_post_with_url": price_url,
                    "coverage_window_days": int(window),
                    "smtp_host": host.strip(),
                    "smtp_port": int(port), "smtp_security": security,
                    "smtp_user": smtp_user.strip(), "smtp_from": sender.strip(),
                    "smtp_reply_to": reply_to.strip(), "pitch_rate_per_minute": int(rate),
                }, now=utcnow()), "Saved.")

if "Users" in tabs:
    with tabs["Users"]:
        people = users.list_users(db, actor)
        common.show_table(
            [{"name": u.name, "role": u.role, "email": u.email,
              "status": "disabled" if u.disabled else "active",
              "sign_in_waits_until": u.wait_until, "last_sign_in": u.last_login_at}
             for u in people], settings.timezone, "No users.")
        st.caption(" · ".join(f"**{r}**: {h}" for r, h in ROLE_HELP.items()))
        with st.form(common.form_round("add_user")):
            st.markdown("**Add a user**")
            new_name = st.text_input("User name")
            new_email = st.text_input("E-mail (optional, for single sign-on)")
            new_role = st.selectbox("Role", ROLES, index=ROLES.index("editor"))
            new_password = st.text_input("Initial password", type="password",
                                         help=f"At least {users.MIN_PASSWORD_LENGTH} "
                                         "characters; tell it to them in person.")
            if st.form_submit_button("Add user"):
                common.attempt(lambda: users.add_user(db, actor, new_name, new_role, new_password,
                                               email=new_email, now=utcnow()),
                        f"Added {new_name.strip()} as {new_role}.", clears="add_user")
        with st.form(common.form_round("manage_user")):
            st.markdown("**Change a user**")
            who = st.selectbox("User", [u.name for u in people])
            role = st.selectbox("New role", ROLES)
            password = st.text_input("New password", type="password",
                                     help="Also lifts a wait after failed sign-ins.")
            email = st.text_input("New e-mail", help="What single sign-on matches.")
            confirm = st.checkbox("Yes, apply this change")
            change = st.radio("Change", ["Set role", "Reset password", "Set e-mail",
                                         "Lift sign-in wait", "Sign out everywhere",
                                         "Disable", "Enable"],
                              horizontal=True,
                              help="Sign out everywhere ends their sign-in on every device "
                              "(a lost phone, a shared computer); resetting the password "
                              "and disabling do too.")
            if st.form_submit_button("Apply"):
                now = utcnow()
                if not confirm:
                    st.warning("Tick “Yes, apply this change” to confirm.")
                elif change == "Set role":
                    common.attempt(lambda: users.set_role(db, actor, who, role, now=now),
                            f"{who} is now {role}.", clears="manage_user")
                elif change == "Reset password":
                    common.attempt(lambda: users.reset_password(db, actor, who, password, now=now),
                            f"New password set for {who}.", clears="manage_user")
                elif change == "Set e-mail":
                    common.attempt(lambda: users.set_email(db, actor, who, email, now=now),
                            f"{who} now signs on with {email.strip() or 'no e-mail'}.",
                            clears="manage_user")
                elif change == "Lift sign-in wait":
                    common.attempt(lambda: throttle.clear(db, actor, name=who, now=now),
                                   f"{who} may try to sign in again at once.",
                                   clears="manage_user")
                elif change == "Sign out everywhere":
                    common.attempt(lambda: sessions.sign_out_everywhere(db, actor, who,
                                                                        now=now),
                                   lambda ended: f"{who} is signed out everywhere "
                                   f"({ended} open session(s) ended).", clears="manage_user")
                else:
                    common.attempt(lambda: users.set_disabled(db, actor, who, change == "Disable",
                                                       now=now),
                            f"{who} is {'disabled' if change == 'Disable' else 'enabled'}.",
                            clears="manage_user")

    with tabs["Credentials"]:
        try:
            the_vault = vault.Vault.open(settings, db)
        except VaultError as exc:
            # Said in words with the way out; the rest of Settings still works.
            common.refusal(exc)
            the_vault = None
        if the_vault is not None:
            slots = {vault.SMTP_CREDENTIAL: "SMTP password (pitch e-mail)"}
            for campaign in existing:
                for account in post_queue.list_accounts(db, campaign.id):
                    for field, label in vault.ACCOUNT_FIELDS[account["platform"]]:
                        name = vault.account_secret_name(account["platform"], account["id"],
                                                         field)
                        slots[name] = f"{account['platform']} {account['handle']}: {label}"
            st.caption("Values are encrypted with a key kept outside the database and are "
                       "never shown again; only whether they are set and their last 4 "
                       "characters.")
            with st.form(common.form_round("set_secret")):
                slot = st.selectbox("Credential", list(slots),
                                    format_func=slots.__getitem__)
                value = st.text_input("Value", type="password")
                if st.form_submit_button("Save credential"):
                    common.attempt(lambda: vault.set_secret(
                        db, the_vault, actor, slot, value, now=utcnow()),
                        f"Saved {slots[slot]}.", clears="set_secret")
            statuses = [vault.secret_status(db, the_vault, name) for name in slots]
            common.show_table(
                [{"credential": slots[s.name], "status": s.describe(),
                  "updated_at": s.updated_at, "by": s.updated_by} for s in statuses],
                settings.timezone, "")

    with tabs["Audit log"]:
        left, middle, right = st.columns(3)
        since = left.date_input("Since", value=None, help="Leave empty for all time.")
        by = middle.text_input("User", help="Exact name, e.g. admin or cli:root")
        entity = right.selectbox("Kind", [""] + audit.entities(db),
                                 format_func=lambda e: e or "everything")
        entries = audit.list_entries(
            db, actor, user=by.strip() or None, entity=entity or None,
            since=datetime.combine(since, time(), ZoneInfo(settings.timezone))
            if since else None,
        )
        common.show_table(entries, settings.timezone, "Nothing matches these filters.")
        if entries:
            common.download("Download these entries (CSV)", csv_text(entries),
                            "audit-log.csv", mime="text/csv")

    with tabs["Configuration"]:
        st.caption("Read from the environment and `.env` (the dashboard reads them again on "
                   "every page; the worker only when it starts); `.env.example` explains "
                   "each one.")
        running = worker_status(db, utcnow())
        rows = settings_compared(settings.describe(), running)
        changed = [r["setting"] for r in rows if r["differs"]]
        if running.state != "running":
            st.info("No worker is running, so there is nothing to compare: it reads these "
                    "values when it starts (`make run`, or `python -m outreach worker`).")
        elif changed:
            st.warning(f"The running worker still uses its old value of {', '.join(changed)}: "
                       "restart it to use the new ones (Ctrl-C, then `make run` again; or "
                       "restart `python -m outreach worker`).", icon=":material/sync_problem:")
        else:
            st.caption("The running worker uses these same values.")
        st.dataframe(rows, hide_index=True,
                     column_order=["setting", "here", "worker", "differs", "what it does"],
                     column_config={"here": "Dashboard", "worker": "Running worker",
                                    "differs": "Differs"})
