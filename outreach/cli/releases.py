"""`templates list`, `release ...` and `guard ...`: releases and the protected-names list."""

from __future__ import annotations

import json

from outreach import clock
from outreach.campaigns import resolve_campaign
from outreach.cli import actions, add_campaign, add_votes, command, voter
from outreach.cli.files import read_text, write_bytes, write_text
from outreach.cli.output import add_json, print_json
from outreach.errors import InvalidInput
from outreach.org_settings import get_org
from outreach.releases import drafts
from outreach.releases.protected_names import (
    add_protected,
    check_text,
    count_aliases,
    describe_matches,
    list_protected,
    remove_protected,
)
from outreach.releases.templates import (
    FORMATS,
    format_template_list,
    get_template,
    list_templates,
    render,
    render_docx,
)
from outreach.store import open_store
from outreach.store.tables import RELEASE_STATES


def cmd_templates_list(args, settings) -> int:
    """`templates list`: every template, its language, kind and fields."""
    found = list_templates(open_store(settings.database_url))
    if args.json:
        print_json([{"name": t.name, "label": t.label, "language": t.language, "kind": t.kind,
                     "shipped": t.shipped, "rapid_response": t.rapid_response,
                     "fields": [{"name": f.name, "type": f.type, "required": f.required,
                                 "label": f.label} for f in t.fields]} for t in found])
        return 0
    print(format_template_list(found), end="")
    return 0


def _read_values(path: str) -> dict:
    try:
        values = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not valid JSON: line {exc.lineno}: {exc.msg}.") from None
    if not isinstance(values, dict):
        raise InvalidInput(f"{path} must hold a JSON object of field name to value.")
    return values


def cmd_release_render(args, settings) -> int:
    """`release render TEMPLATE`: fill a template from a JSON file and write one format."""
    db = open_store(settings.database_url)
    template = get_template(db, args.template)
    values = _read_values(args.data)
    org = get_org(db)
    if args.format == "docx":
        write_bytes(args.out, render_docx(template, values, org=org, draft=args.draft,
                                          embargo=args.embargo))
    else:
        write_text(args.out, render(template, values, org=org, fmt=args.format,
                                    draft=args.draft, embargo=args.embargo))
    print(f"Wrote {template.name} as {args.format} to {args.out}"
          f"{' (draft)' if args.draft else ''}.")
    return 0


def cmd_release_list(args, settings) -> int:
    """`release list`: a campaign's releases, newest change first."""
    db = open_store(settings.database_url)
    rows = drafts.list_releases(db, resolve_campaign(db, args.campaign), status=args.status)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No releases yet: python -m outreach release new TEMPLATE --data FILE.json")
    for r in rows:
        print(f"{r['id']:>4}  {r['status']:<17} v{r['version']:<3} {r['kind']:<16} "
              f"{r['title']}")
    return 0


def cmd_release_new(args, settings) -> int:
    """`release new TEMPLATE --data FILE.json`: a draft, saved as version 1."""
    db = open_store(settings.database_url)
    release_id = drafts.create_release(db, args.actor, resolve_campaign(db, args.campaign),
                                       args.template, _read_values(args.data),
                                       now=clock.utcnow())
    release = drafts.get_release(db, release_id)
    print(f"Release {release_id} {release.title!r} saved as a draft; submit it with "
          f"`release submit {release_id}`.")
    return 0


def cmd_release_edit(args, settings) -> int:
    """`release edit ID --data FILE.json`: a new version; earlier votes are voided."""
    db = open_store(settings.database_url)
    before = drafts.get_release(db, args.id)
    version = drafts.save_release(db, args.actor, args.id, _read_values(args.data),
                                  now=clock.utcnow(), embargo_at=before.embargo_at)
    after = drafts.get_release(db, args.id)
    print(f"Release {args.id} is unchanged (version {version})." if version == before.version
          else f"Release {args.id} saved as version {version}; it is "
          f"{after.status.replace('_', ' ')}.")
    return 0


def cmd_release_submit(args, settings) -> int:
    """`release submit ID`: ask the committee to approve the current version."""
    drafts.submit(open_store(settings.database_url), args.actor, args.id, now=clock.utcnow())
    print(f"Release {args.id} is in review: approvers vote with "
          f"`--as NAME release approve|reject {args.id}`.")
    return 0


def cmd_release_vote(args, settings) -> int:
    """`release approve|reject ID [--comment]`: a vote, as the user `--as` names."""
    db = open_store(settings.database_url)
    tally = drafts.vote(db, voter(args), args.id, args.action, args.comment, now=clock.utcnow())
    status = drafts.get_release(db, args.id).status.replace("_", " ")
    print(f"{args.actor.name} voted to {args.action} release {args.id}. {tally.describe()}. "
          f"It is {status}.")
    return 0


def cmd_release_export(args, settings) -> int:
    """`release export ID --format F --out FILE`: marked DRAFT until it is approved."""
    data = drafts.export(open_store(settings.database_url), args.id, args.format)
    write_bytes(args.out, data)
    print(f"Wrote release {args.id} as {args.format} to {args.out}.")
    return 0


def cmd_guard_add(args, settings) -> int:
    """`guard add NAME [--alias A]...`: the output names only the id, for shared terminals."""
    entry = add_protected(open_store(settings.database_url), args.actor, args.name,
                          args.alias, now=clock.utcnow())
    print(f"Protected entry {entry.id} has {count_aliases(len(entry.aliases))}.")
    return 0


def cmd_guard_list(args, settings) -> int:
    """`guard list`: one entry a line, with its aliases."""
    entries = list_protected(open_store(settings.database_url), args.actor)
    if args.json:
        print_json(entries)
        return 0
    if not entries:
        print("The protected list is empty.")
    for p in entries:
        aliases = f"  (also: {', '.join(p.aliases)})" if p.aliases else ""
        print(f"{p.id:>4}  {p.name}{aliases}")
    return 0


def cmd_guard_remove(args, settings) -> int:
    """`guard remove NAME`."""
    entry_id = remove_protected(open_store(settings.database_url), args.actor, args.name,
                                now=clock.utcnow())
    print(f"Removed protected entry {entry_id}.")
    return 0


def cmd_guard_check(args, settings) -> int:
    """`guard check FILE`: print each match with its line; 1 when there are any, like grep."""
    text = read_text(args.file)
    matches = check_text(open_store(settings.database_url), text)
    if not matches:
        print("No protected names found.")
        return 0
    for line in describe_matches(text, matches):
        print(line)
    return 1


def add_parsers(subparsers) -> None:
    """`templates list`, `release render` and `guard add|list|remove|check`."""
    sub = actions(command(subparsers, "templates"))
    p = sub.add_parser("list", help="list templates with their language, kind and fields")
    add_json(p)
    p.set_defaults(func=cmd_templates_list)

    sub = actions(command(subparsers, "release", description="Draft, review, vote on and "
                          "export releases, or render a template to Markdown, HTML, text or "
                          "Word."))
    p = sub.add_parser(
        "render", help="fill a template with field values from a JSON file",
        description="Render TEMPLATE with the field values in a JSON object (field name to "
        "value: text, a list of texts, or a person {name, role, phone, email, languages}). "
        "The union's name, boilerplate and media contact come from the committee's settings.",
    )
    p.add_argument("template", metavar="TEMPLATE", help="a name from `templates list`")
    p.add_argument("--data", required=True, metavar="FILE.json", help="the field values")
    p.add_argument("--format", required=True, choices=FORMATS,
                   help="md, html (a print-ready page), txt (an e-mail body) or docx")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (replaced)")
    p.add_argument("--draft", action="store_true", help="mark it DRAFT — NOT FOR RELEASE")
    p.add_argument("--embargo", default=None, metavar="TEXT",
                   help="state EMBARGOED UNTIL TEXT at the top, e.g. "
                   "'Thursday, December 3, 2026, 6:00 AM CST'")
    p.set_defaults(func=cmd_release_render)
    p = sub.add_parser("list", help="a campaign's releases, newest change first")
    add_campaign(p)
    p.add_argument("--status", default=None, choices=RELEASE_STATES,
                   help="only releases in this state")
    add_json(p)
    p.set_defaults(func=cmd_release_list)
    p = sub.add_parser("new", help="draft a release from a template and a JSON file of values",
                       description="Save a new draft (version 1) from TEMPLATE filled with the "
                       "field values in FILE.json, as `release render` takes them.")
    p.add_argument("template", metavar="TEMPLATE", help="a name from `templates list`")
    p.add_argument("--data", required=True, metavar="FILE.json", help="the field values")
    add_campaign(p)
    p.set_defaults(func=cmd_release_new)
    p = sub.add_parser("edit", help="save new field values as the next version",
                       description="Save FILE.json's values as a new version. Votes on the "
                       "earlier version are voided: an approved release goes back to review.")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--data", required=True, metavar="FILE.json", help="the field values")
    p.set_defaults(func=cmd_release_edit)
    p = sub.add_parser("submit", help="ask the committee to approve a draft")
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=cmd_release_submit)
    add_votes(sub, "release", cmd_release_vote)
    p = sub.add_parser("export", help="write a release as md, html, txt or docx",
                       description="Write the release's current version; until the committee "
                       "approves it, every format is marked DRAFT — NOT FOR RELEASE.")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--format", required=True, choices=drafts.EXPORT_FORMATS)
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (replaced)")
    p.set_defaults(func=cmd_release_export)

    sub = actions(command(subparsers, "guard"))
    p = sub.add_parser(
        "add", help="protect a member's name (adds aliases when the name is listed)")
    p.add_argument("name", metavar="NAME", help="the full name, e.g. 'María González'")
    p.add_argument("--alias", action="append", default=[], metavar="A",
                   help="a nickname or other spelling; repeat for several")
    p.set_defaults(func=cmd_guard_add)
    p = sub.add_parser("list", help="list protected names and their aliases")
    add_json(p)
    p.set_defaults(func=cmd_guard_list)
    p = sub.add_parser("remove", help="take a name and its aliases off the list")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_guard_remove)
    p = sub.add_parser(
        "check", help="show where FILE names a protected member; exits 1 when it does",
        description="Print each place FILE names a protected member (line and text as "
        "written), ignoring case, accents, line breaks and hyphens; spokespeople on the "
        "roster are exempt. Exits 1 when anything is found, 0 otherwise.")
    p.add_argument("file", metavar="FILE", help="a UTF-8 text file, or - for stdin")
    p.set_defaults(func=cmd_guard_check)
