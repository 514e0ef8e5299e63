"""Releases: draft from a template, review and vote, export, and pitch to journalists."""

from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from outreach.clock import utcnow
from outreach.coverage import hits as press_hits
from outreach.errors import OutreachError
from outreach.org_settings import get_org
from outreach.pitching import pitches as pitching
from outreach.presslist import contacts, spokespeople
from outreach.releases import drafts as releases
from outreach.releases import protected_names, templates
from outreach.roles import can
from outreach.safety import md_escape
from outreach.ui import auth, common
from outreach.ui import protected_names as protected_names_page
from outreach.ui.template_form import field_inputs

db = common.engine()
campaign = common.current_campaign(db)
actor = auth.actor()
st.title("Releases")


def embargo_inputs(key: str, current: datetime | None, tz: str):
    """An optional embargo date and time in the campaign's zone; returns aware UTC or None."""
    zone = ZoneInfo(tz)
    local = current.astimezone(zone) if current else None
    on = st.checkbox("Embargoed", value=current is not None, key=f"{key}-emb")
    if not on:
        return None
    cols = st.columns(2)
    day = cols[0].date_input("Embargo date", value=local.date() if local else None,
                             key=f"{key}-emb-d")
    at = cols[1].time_input("Embargo time", value=local.time() if local else None,
                            key=f"{key}-emb-t", help=f"In {tz}.")
    return datetime.combine(day, at, zone) if day and at else None


if campaign is not None:
    tz = campaign.timezone
    roster = spokespeople.roster(db)
    counts = releases.count_by_status(db, campaign.id)
    cols = st.columns(len(counts))
    for col, (state, n) in zip(cols, counts.items(), strict=True):
        col.metric(state.replace("_", " ").capitalize(), n)
    listed = releases.list_releases(db, campaign.id)
    common.show_table(listed, tz, "No releases yet: start one under New release.",
                      column_order=["id", "title", "kind", "status", "version", "updated_at"])

    tab_open, tab_rapid, tab_new, tab_templates, tab_guard = common.tabs(
        ["Open a release", "Rapid response", "New release", "Templates", "Protected names"])

    def opened(new_id: int) -> None:
        common.show_next("release_id", new_id)
        common.show_next("tab", "Open a release")

    with tab_rapid:
        if not can(actor, "editor"):
            st.caption("Drafting needs the editor role.")
        else:
            st.caption("Something happened this morning? Pick what it was, say what "
                       "happened and what the union says: the date, employer, dateline, "
                       "spokesperson, contact and boilerplate are filled in. It goes "
                       "to the committee under the rapid-response rule "
                       f"({get_org(db).rapid_response_rule.describe()}).")
            kinds = {t.name: t.label.removeprefix("Rapid response: ").capitalize()
                     for t in releases.rapid_responses(db)}
            rapid = common.form_round("rapid")
            chosen_rapid = st.radio("What happened", list(kinds), format_func=kinds.__getitem__,
                                    key=common.remember("rapid-template", next(iter(kinds)),
                                                        options=list(kinds)))
            template = templates.get_template(db, chosen_rapid)
            start = releases.rapid_response_start(db, campaign.id, chosen_rapid,
                                                  today=common.today(tz))
            values = field_inputs(template, start, roster, key=f"{rapid}-{chosen_rapid}")
            with st.expander("Preview", expanded=True):
                try:
                    clean = templates.check_values(template, values)
                    st.markdown(templates.render(template, clean, org=get_org(db), fmt="md"))
                except OutreachError as exc:
                    st.info(md_escape(f"Preview once this is fixed: {exc}"))
            if st.button("Save and ask the committee", type="primary", key=f"{rapid}-save"):
                common.attempt(lambda: releases.start_rapid_response(
                    db, actor, campaign.id, chosen_rapid, values, now=utcnow()),
                    "Sent to the committee: the approvers can vote now. It is open in the "
                    "first tab; this page updates itself when they approve.",
                    then=opened, clears="rapid")

    with tab_new:
        if not can(actor, "editor"):
            st.caption("Drafting needs the editor role.")
        else:
            shipped = [t for t in templates.list_templates(db) if t.kind != "email"]
            names = {t.name: f"{t.label} ({t.language})" for t in shipped}
            draft = common.form_round("new-release")
            chosen = st.selectbox("Template", list(names), format_func=names.__getitem__,
                                  key=common.remember("new-release-template", shipped[0].name,
                                                      options=list(names)))
            template = templates.get_template(db, chosen)
            use_sample = st.checkbox("Start from the sample values", value=False,
                                     key=f"{draft}-sample",
                                     help="Fills every field with the template's example.")
            start = templates.sample_values(template) if use_sample else {}
            values = field_inputs(template, start, roster,
                                  key=f"{draft}-{chosen}-{'sample' if use_sample else 'blank'}")
            embargo = embargo_inputs(draft, None, tz)
            with st.expander("Preview", expanded=True):
                try:
                    clean = templates.check_values(template, values)
                    st.markdown(templates.render(template, clean, org=get_org(db),
                                                 fmt="md"))
                except OutreachError as exc:
                    st.info(md_escape(f"Preview once this is fixed: {exc}"))
            if st.button("Save draft", type="primary", key=f"{draft}-save"):
                common.attempt(lambda: releases.create_release(
                    db, actor, campaign.id, chosen, values, now=utcnow(), embargo_at=embargo),
                    "Saved as a draft (version 1).", then=opened,
                    clears="new-release")

    with tab_open:
        ids = [r["id"] for r in listed]
        if not ids:
            st.caption("No releases yet.")
        else:
            titles = {r["id"]: f"#{r['id']} {r['title']} ({r['status'].replace('_', ' ')})"
                      for r in listed}
            release_id = st.selectbox("Release", ids, format_func=titles.__getitem__,
                                      key=common.remember("release_id", ids[0], options=ids))
            release = releases.get_release(db, release_id)
            status = release.status.replace("_", " ")
            tally = releases.current_tally(db, release) if release.template else None
            rule = releases.rule_for(db, release)
            st.markdown(f"**Status:** {status} · version {release.version}" +
                        (f" · {tally.describe()} (the rule: {rule.describe()})"
                         if tally and release.status == "in_review" else ""))
            if tally and release.status == "in_review":
                if tally.problem():
                    st.warning(tally.problem(), icon=":material/group_off:")
                # Votes are cast in other browsers: show them as they come in.
                common.rerun_when_changed(lambda: releases.get_release(db, release.id))
            matches = protected_names.check_text(db, release.body)
            if matches and not can(actor, "editor"):
                # Which words matched would tell a viewer who is on the protected list.
                st.error("This release names a protected member; an editor can see where.")
                with st.container(border=True):
                    st.markdown(release.body)
            elif matches:
                st.error("This release names a protected member: "
                         + "; ".join(protected_names.describe_matches(release.body, matches))
                         + ". Remove the name before submitting.")
                st.markdown(protected_names.highlight_markdown(release.body, matches),
                            unsafe_allow_html=True)
            else:
                with st.container(border=True):
                    st.markdown(release.body)

            submittable = release.status in ("draft", "changes_requested")
            if can(actor, "editor") and submittable and st.button("Submit for review"):
                common.attempt(lambda: releases.submit(db, actor, release.id, now=utcnow()),
                        "Submitted: the approvers can vote now.")
            if can(actor, "approver") and release.status == "in_review":
                if tally and actor.name in tally.authors:
                    st.caption("You wrote this version, so your vote cannot count toward its "
                               "approval." + (f" Waiting for: {', '.join(tally.waiting_for)}."
                                              if tally.waiting_for else ""))
                else:
                    vote_form = f"vote-{release.id}-{release.version}"
                    with st.form(common.form_round(vote_form)):
                        decision = st.radio("Your vote", ["approve", "reject"],
                                            horizontal=True)
                        comment = st.text_area("Comment", help="Required when you reject: "
                                               "say what should change.")
                        if st.form_submit_button("Cast vote"):
                            common.attempt(lambda: releases.vote(
                                db, actor, release.id, decision, comment, now=utcnow()),
                                lambda result: f"Vote recorded. {result.describe()}: "
                                f"{result.state.replace('_', ' ')}.", clears=vote_form)

            if release.template and can(actor, "editor") and release.status != "sent":
                with common.expander("Edit (saves a new version; votes on the old one are void)",
                                     key=f"edit-{release.id}"):
                    template = templates.get_template(db, release.template)
                    values = field_inputs(template, release.fields, roster,
                                          key=f"edit-{release.id}-{release.version}")
                    embargo = embargo_inputs(f"edit-{release.id}", release.embargo_at, tz)
                    if st.button("Save new version"):
                        common.attempt(lambda: releases.save_release(
                            db, actor, release.id, values, now=utcnow(), embargo_at=embargo),
                            "Saved.")

            st.markdown("#### Export")
            if release.status not in ("approved", "sent"):
                st.caption("Not approved yet: every export carries a DRAFT watermark.")
            cols = st.columns(5)
            for col, fmt in zip(cols, releases.EXPORT_FORMATS, strict=False):
                with col:
                    try:
                        exported = releases.export(db, release.id, fmt)
                    except protected_names.NamesProtected:
                        st.caption(f"No {fmt.upper()}: {protected_names.NamesProtected.HIDDEN}")
                        continue
                    except OutreachError as exc:
                        st.caption(md_escape(f"No {fmt.upper()}: {exc}"))
                        continue
                    common.download(fmt.upper(), exported, f"release-{release.id}.{fmt}",
                                    key=f"export-{fmt}")
            with cols[4]:
                common.download("Vote minutes", releases.release_minutes(db, release.id),
                                f"release-{release.id}-minutes.md", mime="text/markdown")

            history = releases.versions(db, release.id)
            if len(history) > 1:
                st.markdown("#### Versions")
                numbers = [v["number"] for v in history]
                cols = st.columns(2)
                older = cols[0].selectbox("Compare version", numbers, index=1)
                newer = cols[1].selectbox("with version", numbers, index=0)
                st.code(releases.diff(db, release.id, older, newer), language="diff")

            if release.status in ("approved", "sent") and can(actor, "editor"):
                st.markdown("#### Pitch it to journalists")
                lists = [x["name"] for x in contacts.list_press_lists(db)]
                # A rapid response goes first to the list kept for them, when there is one.
                rapid_list = next((x for x in lists if "rapid" in x.lower()), None) \
                    if release.kind == "rapid_response" else None
                target = st.selectbox("Press list", lists, key=common.remember(
                    f"pitch-list-{release.id}", rapid_list or next(iter(lists), None),
                    options=lists))
                # One round per send: after a send the note, the choices and the confirmation
                # start afresh, so nothing stays ticked for a second click.
                pitch_form = f"pitch-{release.id}"
                pitch_round = common.form_round(pitch_form)
                note = st.text_area("A note for everyone (optional)", key=f"{pitch_round}-note")
                active = pitching.unfinished_batch(db, release.id)
                try:
                    plan = pitching.plan_pitch(db, release.id, list_name=target, note=note)
                    n_before = plan.already_pitched
                    if n_before and st.checkbox(
                            f"Also send again to the {n_before} journalist"
                            f"{'s' if n_before != 1 else ''} already pitched",
                            key=f"{pitch_round}-again-{target}",
                            help="They already got this release; leave this unticked and "
                            "only those who have not are e-mailed."):
                        plan = pitching.plan_pitch(db, release.id, list_name=target, note=note,
                                                   again=True)
                except OutreachError as exc:
                    common.refusal(exc)
                    plan = None
                if plan is not None:
                    st.caption(f"{len(plan.recipients)} will receive it; "
                               f"{len(plan.skipped)} skipped.")
                    if plan.skipped:
                        common.show_table([{"name": s.name, "reason": s.reason}
                                           for s in plan.skipped], tz, "")
                    sure = False
                    if plan.recipients:
                        first = plan.recipients[0]
                        with st.expander(f"Preview: the e-mail to {md_escape(first.name)}"):
                            message = pitching.preview(db, plan, first.journalist_id)
                            st.text(f"To: {message['To']}\nSubject: {message['Subject']}")
                            st.text(message.get_content())
                        common.download("Download as .eml files (zip)",
                                        lambda: pitching.eml_zip(db, plan),
                                        f"pitch-{release.id}.zip", mime="application/zip")
                        count = len(plan.recipients)
                        # The confirmation names a number: it holds only for that number.
                        sure = st.checkbox(
                            f"Yes, e-mail {count} journalist{'s' if count != 1 else ''} now",
                            key=f"{pitch_round}-sure-{target}-{plan.again}-{count}")
                    if active is not None:
                        st.info(
                            f"Batch {active['id']} of this release is still being sent "
                            "(progress below): Send is available again once it has "
                            "finished." if active["queued"] else
                            f"Batch {active['id']}, sent from the command line, has not "
                            "finished: finish it with `python -m outreach pitch resume "
                            f"--batch {active['id']}`, then Send is available again.",
                            icon=":material/hourglass_top:")
                    if st.button("Send", type="primary", key=f"{pitch_round}-send",
                                 disabled=not sure or active is not None) \
                            and sure and active is None:
                        common.attempt(lambda: pitching.create_batch(
                            db, actor, plan, now=utcnow(), queue=True),
                            "Queued: the worker sends them at most "
                            f"{get_org(db).pitch_rate_per_minute} a minute. "
                            "Progress shows below.", clears=pitch_form)
                batches = pitching.release_batches(db, release.id)
                if batches:
                    st.markdown("#### Pitches sent for this release")
                    if active is not None and active["queued"]:
                        @st.fragment(run_every=2)  # seconds
                        def pitch_progress(batch_id: int = active["id"]) -> None:
                            """The queued batch's counts, read again every few seconds
                            until the worker has sent it; then the whole page runs again."""
                            batch = pitching.get_batch(db, batch_id)
                            totals = batch["totals"]
                            outgoing = totals["sent"] + totals["failed"] + totals["pending"]
                            common.show_worker_status(db)
                            st.progress(
                                (totals["sent"] + totals["failed"]) / max(outgoing, 1),
                                text=f"Batch {batch_id}: {totals['sent']} sent, "
                                f"{totals['pending']} pending, {totals['failed']} failed")
                            if batch["last_error"]:
                                common.refusal(batch["last_error"])
                            if batch["finished_at"] is not None:
                                st.rerun()

                        pitch_progress()
                    else:
                        common.show_worker_status(db)
                    for batch in batches:
                        totals = ", ".join(f"{n} {k}" for k, n in batch["totals"].items() if n)
                        label = f"Batch {batch['id']}: {totals}" + (
                            "" if batch["finished_at"] else " (sending...)")
                        with st.expander(label, expanded=batch["finished_at"] is None):
                            if batch["last_error"]:
                                common.refusal(batch["last_error"])
                            common.show_table(pitching.batch_status(db, batch["id"]), tz, "")
                    st.button("Refresh", icon=":material/refresh:")
                    st.markdown("#### Coverage this release earned")
                    common.show_table(
                        press_hits.release_coverage(db, release.id), tz,
                        f"No stories yet from journalists or outlets it was pitched to, "
                        f"within {get_org(db).coverage_window_days} days of the pitch.",
                        column_config={"url": st.column_config.LinkColumn("link")})

    with tab_templates:
        every = templates.list_templates(db)
        common.show_table([{"name": t.name, "label": t.label, "language": t.language,
                            "kind": t.kind, "shipped": t.shipped,
                            "fields": ", ".join(f.name for f in t.fields)} for t in every],
                          tz, "No templates.")
        if can(actor, "editor"):
            custom = [t.name for t in every if not t.shipped]
            base = st.selectbox("Start from", [t.name for t in every])
            source = st.text_area("Template source (TOML front matter between +++ lines, "
                                  "then Jinja2 Markdown)",
                                  value=templates.get_template(db, base).source, height=300)
            if st.button("Save as a committee template"):
                common.attempt(lambda: templates.save_template(db, actor, source, now=utcnow()),
                        "Saved. It is now offered under New release.")
            if custom:
                gone = st.selectbox("Delete a committee template", custom)
                if st.checkbox(f"Yes, delete {md_escape(gone)}") and st.button("Delete"):
                    common.attempt(lambda: templates.delete_template(db, actor, gone, now=utcnow()),
                            f"Deleted {gone}.")

    with tab_guard:
        protected_names_page.render(db, actor, tz)
