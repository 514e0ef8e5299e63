"""`pitch send|status|resume`: e-mailing an approved release to journalists."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from outreach.cli import actions, command
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.org_settings import get_org
from outreach.pitching.pitches import (
    PitchPlan,
    batch_status,
    describe_batch,
    get_batch,
    plan_pitch,
    preview,
    resume,
    send_now,
)
from outreach.store import open_store


def _print_plan(plan: PitchPlan) -> None:
    embargo = f", embargoed until {plan.embargo}" if plan.embargo else ""
    print(f"Release {plan.release_id} {plan.release_title!r}{embargo}")
    if plan.subject:
        print(f"Subject: {plan.subject}")
    print(f"To send ({len(plan.recipients)}):")
    if plan.again and plan.already_pitched:
        print(f"  including {plan.already_pitched} already pitched this release (--again)")
    for r in plan.recipients:
        print(f"  {r.name} <{r.email}>" + (f", {r.outlet}" if r.outlet else ""))
    if plan.skipped:
        print(f"Skipped ({len(plan.skipped)}):")
        for s in plan.skipped:
            print(f"  {s.name}" + (f" <{s.email}>" if s.email else "") + f": {s.reason}")
    if plan.already_pitched and not plan.again:
        print(f"To e-mail the {plan.already_pitched} already pitched once more, add --again.")


def _print_rows(rows: list[dict]) -> None:
    for r in rows:
        who = f"{r['name']} <{r['email']}>" if r["email"] else r["name"]
        when = f"{r['sent_at']:%Y-%m-%d %H:%M} UTC" if r["sent_at"] else ""
        print(f"  {r['status']:<8} {who}  {when or r['detail']}".rstrip())


def cmd_send(args, settings: Settings) -> int:
    """`pitch send`: print the plan, then send it (or, with --dry-run, the first e-mail)."""
    db = open_store(settings.database_url)
    plan = plan_pitch(db, args.release, list_name=args.list, journalist_ids=args.journalist,
                      note=args.note, again=args.again)
    _print_plan(plan)
    if args.dry_run:
        if plan.recipients:
            message = preview(db, plan, plan.recipients[0].journalist_id)
            print(f"\nThe e-mail to {plan.recipients[0].name}:\n")
            print("\n".join(f"{k}: {v}" for k, v in message.items()
                            if k.lower() not in ("content-type", "content-transfer-encoding",
                                                 "mime-version")))
            print(f"\n{message.get_content()}")
        print("Dry run: nothing was sent.")
        return 0
    print(f"Sending, at most {get_org(db).pitch_rate_per_minute} a minute...")
    batch_id = send_now(db, args.actor, plan, settings, now=utcnow())
    return _report(db, batch_id)


def _report(db: Engine, batch_id: int) -> int:
    print(describe_batch(batch_id, get_batch(db, batch_id)["totals"]))
    problems = [r for r in batch_status(db, batch_id) if r["status"] in ("failed", "pending")]
    _print_rows(problems)
    print(f"Details: python -m outreach pitch status --batch {batch_id}")
    return 1 if problems else 0


def cmd_resume(args, settings: Settings) -> int:
    """`pitch resume`: send what an interrupted batch has not attempted yet."""
    db = open_store(settings.database_url)
    result = resume(db, args.batch, settings)
    if not (result.sent or result.failed or result.interrupted):
        print("Nothing was left to send.")
    return _report(db, args.batch)


def cmd_status(args, settings: Settings) -> int:
    """`pitch status`: the batch and every recipient's state."""
    db = open_store(settings.database_url)
    batch = get_batch(db, args.batch)
    finished = (f"finished {batch['finished_at']:%Y-%m-%d %H:%M} UTC"
                if batch["finished_at"] else "not finished")
    print(f"Batch {batch['id']}: release {batch['release_id']} {batch['release_title']!r}, "
          f"created by {batch['created_by']} {batch['created_at']:%Y-%m-%d %H:%M} UTC, "
          f"{finished}")
    print(f"Subject: {batch['subject']}")
    _print_rows(batch_status(db, args.batch))
    if batch["totals"]["pending"]:
        print(f"{batch['totals']['pending']} not sent yet: python -m outreach pitch resume "
              f"--batch {batch['id']}")
    return 0


def add_parsers(subparsers) -> None:
    """`pitch send`, `pitch status` and `pitch resume`."""
    sub = actions(command(subparsers, "pitch"))
    p = sub.add_parser(
        "send", help="pitch an approved release to a press list or to journalists",
        description="Send each journalist a personalised e-mail with the release, over the "
        "committee's SMTP server, at its rate per minute. Do-not-contact journalists, "
        "those without an e-mail and those already pitched this release are skipped and "
        "listed.",
    )
    p.add_argument("--release", type=int, required=True, metavar="ID", help="the release's id")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--list", metavar="NAME", help="everyone on this press list")
    target.add_argument("--journalist", type=int, nargs="+", action="extend", metavar="ID",
                        help="these journalists (ids); repeatable")
    p.add_argument("--note", default="", metavar="TEXT", help="a line added to every e-mail")
    p.add_argument("--again", action="store_true",
                   help="also e-mail the journalists already pitched this release (never one "
                   "whose e-mail still waits in a batch)")
    p.add_argument("--dry-run", action="store_true",
                   help="show who would get it and the first e-mail; send nothing")
    p.set_defaults(func=cmd_send)
    for name, func, text in (
        ("status", cmd_status, "show each recipient's state in a batch"),
        ("resume", cmd_resume, "send what an interrupted batch has not sent; nobody gets "
         "it twice"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--batch", type=int, required=True, metavar="ID",
                       help="the batch's id (printed by `pitch send`)")
        p.set_defaults(func=func)
