"""Release templates: every shipped one renders in every format, values are checked,
the sandbox refuses what a template may not do, custom templates round-trip, and the CLI."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import tomllib

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH

from outreach.auth import audit
from outreach.cli import main
from outreach.config import Settings
from outreach.errors import InvalidInput, NotFound, PermissionDenied
from outreach.org_settings import set_org
from outreach.releases import templates as tpl
from outreach.roles import Actor
from outreach.store import open_store

SHIPPED = sorted(p.name.removesuffix(tpl.SUFFIX) for p in tpl.TEMPLATES_DIR.glob("*.md.j2"))
EDITOR = Actor("erin", "editor")
VIEWER = Actor("victor", "viewer")
ADMIN = Actor("ada", "admin")
EMBARGO = "Thursday, December 3, 2026, 6:00 AM CST"


def shipped(name: str) -> tpl.Template:
    return tpl.parse_template((tpl.TEMPLATES_DIR / f"{name}{tpl.SUFFIX}").read_text("utf-8"),
                              shipped=True)


def custom_source(name="picket_note.en", label="Picket note", body=None, fields=None) -> str:
    fields = fields if fields is not None else '''
[[fields]]
name = "headline"
label = "Headline"
type = "text"
required = true
sample = "Picket lines hold"

[[fields]]
name = "when"
label = "When"
type = "date"
required = true
sample = "2026-12-03"
'''
    body = body if body is not None else (
        "# {{ headline }}\n\n**RIVERBEND, {{ when | longdate }}** — Picket lines held today.\n"
        "\n{{ org.boilerplate }}\n\n###\n")
    return (f'+++\nname = "{name}"\nlabel = "{label}"\nlanguage = "en"\nkind = "statement"\n'
            f"{fields}+++\n{body}")


# --- shipped templates -------------------------------------------------------------------------


def test_the_issue_s_templates_ship():
    expected = {
        "press_release.en", "press_release.es", "media_advisory.en", "media_advisory.es",
        "statement.en", "statement.es", "strike_announcement.en", "strike_update.en",
        "rapid_response_ice.en", "rapid_response_firing.en", "rapid_response_ulp.en",
        "letter_to_editor.en", "oped_pitch.en", "pitch_email.en", "followup_email.en",
        "pitch_email.es",
    }
    assert expected <= set(SHIPPED)
    kinds = {name: shipped(name).kind for name in SHIPPED}
    assert {kinds[n] for n in SHIPPED} == set(tpl.KINDS)
    assert [n for n in SHIPPED if kinds[n] == "rapid_response"] == [
        "rapid_response_firing.en", "rapid_response_ice.en", "rapid_response_ulp.en"]
    assert all(shipped(n).rapid_response for n in SHIPPED if kinds[n] == "rapid_response")


@pytest.mark.parametrize("base", ["press_release", "media_advisory", "statement", "pitch_email"])
def test_spanish_versions_exist_with_the_same_fields(base):
    english, spanish = shipped(f"{base}.en"), shipped(f"{base}.es")
    assert (english.language, spanish.language) == ("en", "es")
    assert english.kind == spanish.kind
    assert {f.name for f in english.fields} <= {f.name for f in spanish.fields}
    # Labels and samples are written in Spanish, not copied.
    assert english.fields[0].label != spanish.fields[0].label
    assert english.fields[0].sample != spanish.fields[0].sample


def test_pitch_email_takes_the_fields_pitching_fills_in():
    for name in ("pitch_email.en", "pitch_email.es"):
        fields = {f.name: f for f in shipped(name).fields}
        assert {n: (f.type, f.required) for n, f in fields.items()} == {
            "first_name": ("text", True), "outlet": ("text", False),
            "note": ("long_text", False), "latest_story": ("text", False),
            "release_title": ("text", True), "release_text": ("long_text", True),
            "embargo": ("text", False),
        }
        assert shipped(name).subject


@pytest.mark.parametrize("name", SHIPPED)
def test_every_field_declares_a_sample_of_the_right_shape(name):
    text = (tpl.TEMPLATES_DIR / f"{name}{tpl.SUFFIX}").read_text("utf-8")
    front = tomllib.loads(text.split("+++\n")[1])
    shapes = {"text": str, "long_text": str, "date": str, "time": str, "list": list,
              "spokesperson": dict, "contact": dict}
    for field in front["fields"]:
        assert set(field) == {"name", "label", "help", "type", "required", "sample"}, field
        assert isinstance(field["sample"], shapes[field["type"]]), field["name"]
        if field["type"] in ("spokesperson", "contact"):
            assert set(field["sample"]) == set(tpl.PERSON_KEYS)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_template_renders_in_every_format(name):
    template = shipped(name)
    values = tpl.sample_values(template)
    org = tpl.SAMPLE_ORG
    md = tpl.render(template, values, org=org, fmt="md", draft=True, embargo=EMBARGO)
    assert md.startswith(f"**{tpl.DRAFT_MARK}**\n\n**EMBARGOED UNTIL {EMBARGO}**\n\n")
    assert "{{" not in md and "{%" not in md
    headline = next((line[2:] for line in md.splitlines() if line.startswith("# ")), None)
    release_like = template.kind in tpl.RELEASE_KINDS
    if release_like:
        assert headline
        assert re.search(r"^\*\*RIVERBEND, [^*]*2026\*\* — ", md, re.M), "dateline"
        assert f"## About {org.union_name}" in md or f"## Acerca de {org.union_name}" in md
        assert org.media_contact_name in md and org.media_contact_email in md
        assert md.rstrip().endswith("\n\n###")

    html = tpl.render(template, values, org=org, fmt="html", draft=True, embargo=EMBARGO)
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{template.language}">' in html
    assert re.search(r"<title>[^<]+</title>", html) and "<style>" in html
    assert tpl.DRAFT_MARK in html and f"EMBARGOED UNTIL {EMBARGO}" in html
    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|url\(", html), "self-contained"
    if release_like:
        assert '<p class="end">###</p>' in html

    txt = tpl.render(template, values, org=org, fmt="txt", embargo=EMBARGO)
    assert txt.startswith(f"EMBARGOED UNTIL {EMBARGO}\n\n")
    assert "**" not in txt and not re.search(r"^#{1,2} ", txt, re.M)
    if headline:
        assert f"\n{headline}\n" in txt
    if release_like:
        assert txt.endswith("\n###\n")

    document = docx.Document(io.BytesIO(
        tpl.render_docx(template, values, org=org, draft=True, embargo=EMBARGO)))
    paragraphs = document.paragraphs
    assert paragraphs[0].text == f"EMBARGOED UNTIL {EMBARGO}"
    assert document.sections[0].header.paragraphs[0].text == tpl.DRAFT_MARK
    titles = [p.text for p in paragraphs if p.style.name == "Title"]
    assert titles == ([headline] if headline else [])
    ends = [p for p in paragraphs if p.text == "###"]
    if release_like:
        assert ends and paragraphs[-1].text == "###"
        assert paragraphs[-1].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert not any("**" in p.text for p in paragraphs)

    if template.subject is not None:
        subject = tpl.render_subject(template, values, org=org)
        assert subject and "\n" not in subject and "{{" not in subject


def test_without_draft_or_embargo_there_is_no_mark():
    template = shipped("press_release.en")
    values = tpl.sample_values(template)
    md = tpl.render(template, values, org=tpl.SAMPLE_ORG, fmt="md")
    html = tpl.render(template, values, org=tpl.SAMPLE_ORG, fmt="html")
    document = docx.Document(io.BytesIO(tpl.render_docx(template, values, org=tpl.SAMPLE_ORG)))
    assert md.startswith("**FOR IMMEDIATE RELEASE**\n\n# Northgate")
    assert "DRAFT" not in md and "EMBARGOED" not in md
    assert "watermark\"" not in html and "DRAFT" not in html and "EMBARGOED" not in html
    assert document.sections[0].header.paragraphs[0].text == ""
    assert document.paragraphs[0].text == "FOR IMMEDIATE RELEASE"
    assert document.core_properties.title == "Northgate Warehouse Workers Vote to Join the Union"


def test_dates_and_times_print_in_the_template_s_language():
    english = tpl.render(shipped("media_advisory.en"), tpl.sample_values(
        shipped("media_advisory.en")), org=tpl.SAMPLE_ORG, fmt="md")
    spanish = tpl.render(shipped("media_advisory.es"), tpl.sample_values(
        shipped("media_advisory.es")), org=tpl.SAMPLE_ORG, fmt="md")
    assert "**WHEN:** Thursday, December 3, 2026, 6:00 a.m. to 8:30 a.m." in english
    assert "**CUÁNDO:** jueves 3 de diciembre de 2026, de 6:00 a. m. a 8:30 a. m." in spanish
    assert "**RIVERBEND, 1 de diciembre de 2026** — " in spanish


def test_optional_fields_left_empty_leave_no_gaps_and_org_may_be_unset():
    template = shipped("press_release.en")
    values = {f.name: f.sample for f in template.fields if f.required}
    md = tpl.render(template, values, org=tpl.OrgSettings(), fmt="md")
    assert "## " not in md and "Media contact" not in md and "\n\n\n" not in md
    assert md.endswith("\n\n###\n")


def test_the_embargo_of_a_pitch_email_fills_its_subject_and_text():
    template = shipped("pitch_email.en")
    values = tpl.sample_values(template)
    assert tpl.render_subject(template, values, org=tpl.SAMPLE_ORG).startswith("EMBARGOED: ")
    txt = tpl.render(template, values, org=tpl.SAMPLE_ORG, fmt="txt")
    assert f"under embargo until {EMBARGO}." in txt
    values["embargo"] = ""
    assert tpl.render_subject(template, values, org=tpl.SAMPLE_ORG) == values["release_title"]
    assert "embargo" not in tpl.render(template, values, org=tpl.SAMPLE_ORG, fmt="txt")


def test_render_subject_needs_a_subject():
    with pytest.raises(InvalidInput, match="has no subject"):
        tpl.render_subject(shipped("statement.en"), tpl.sample_values(shipped("statement.en")),
                           org=tpl.SAMPLE_ORG)


def test_plain_text_turns_links_into_text_and_url():
    template = tpl.parse_template(custom_source(
        fields='[[fields]]\nname = "body"\nlabel = "Body"\ntype = "long_text"\nrequired = true\n',
        body="## Section\n\n{{ body }}\n"))
    txt = tpl.render(template, {"body": "See [our site](https://example.org) or "
                                "<https://example.org/x>, *now* and **today**.\n\n1. one\n"
                                "2. two\n\n> quoted"}, org=tpl.SAMPLE_ORG, fmt="txt")
    assert txt == ("Section\n\nSee our site (https://example.org) or https://example.org/x, "
                   "now and today.\n\n1. one\n2. two\n\n> quoted\n")


def test_unknown_format_is_refused():
    template = shipped("statement.en")
    with pytest.raises(InvalidInput, match="use md, html or txt"):
        tpl.render(template, tpl.sample_values(template), org=tpl.SAMPLE_ORG, fmt="pdf")


# --- values ------------------------------------------------------------------------------------


def test_check_values_normalises():
    template = shipped("media_advisory.en")
    values = tpl.sample_values(template)
    values.update(start_time="6:00", end_time=None, visuals="  signs \n\n  banners ",
                  headline="  Rally\n at   dawn ", onsite_contact={"name": "Marcus Bell",
                                                                  "languages": ["en", "es"]})
    clean = tpl.check_values(template, values)
    assert clean["start_time"] == "06:00" and clean["end_time"] == ""
    assert clean["visuals"] == ["signs", "banners"]
    assert clean["headline"] == "Rally at dawn"
    assert clean["onsite_contact"] == {"name": "Marcus Bell", "role": "", "phone": "",
                                       "email": "", "languages": "en, es"}
    assert list(clean) == [f.name for f in template.fields]


def test_sample_values_are_copies():
    template = shipped("media_advisory.en")
    tpl.sample_values(template)["visuals"].append("changed")
    assert "changed" not in tpl.sample_values(template)["visuals"]


@pytest.mark.parametrize(("change", "message"), [
    ({"headline": None}, "Field 'Headline' (headline) is required."),
    ({"headline": "   "}, "Field 'Headline' (headline) is required."),
    ({"when": "12/03/2026"}, "Field 'When' (when): write the date as YYYY-MM-DD"),
    ({"when": "2026-02-30"}, "Field 'When' (when): write the date as YYYY-MM-DD"),
    ({"start_time": "6pm"}, "Field 'Starts at' (start_time): write the time as HH:MM"),
    ({"start_time": "24:00"}, "Field 'Starts at' (start_time): write the time as HH:MM"),
    ({"visuals": [1, 2]}, "Field 'Visuals and photo opportunities' (visuals): write a list"),
    ({"onsite_contact": {"phone": "555"}}, "(onsite_contact): a person needs at least a name"),
    ({"onsite_contact": "Marcus"}, "(onsite_contact): give a person as"),
    ({"onsite_contact": {"name": "M", "emial": "x"}}, "unknown key(s) emial"),
    ({"whenn": "2026-12-03"}, "Unknown field(s) 'whenn'"),
])
def test_check_values_names_the_field(change, message):
    template = shipped("media_advisory.en")
    values = {**tpl.sample_values(template), **change}
    values = {k: v for k, v in values.items() if not (k == "headline" and v is None)}
    with pytest.raises(InvalidInput) as raised:
        tpl.check_values(template, values)
    assert message in str(raised.value)
    with pytest.raises(InvalidInput, match=re.escape(message)):
        tpl.render(template, values, org=tpl.SAMPLE_ORG, fmt="md")


def test_check_values_reports_every_problem_at_once():
    with pytest.raises(InvalidInput) as raised:
        tpl.check_values(shipped("media_advisory.en"), {"when": "tomorrow"})
    message = str(raised.value)
    assert "(when): write the date" in message and "(headline) is required" in message
    assert "(onsite_contact) is required" in message


# --- the sandbox -------------------------------------------------------------------------------

ESCAPES = [
    ("{{ ''.__class__ }}", "'__class__' is not allowed"),
    ("{{ x.__globals__ }}", "'__globals__' is not allowed"),
    ("{{ self }}", "'self' is not allowed"),
    ("{{ self._TemplateReference__context }}", "is not allowed"),
    ("{{ config }}", "unknown name 'config'"),
    ("{{ lipsum.__globals__ }}", "'__globals__' is not allowed"),
    ("{{ lipsum() }}", "unknown name 'lipsum'"),
    ("{{ cycler.__init__.__globals__ }}", "'__globals__' is not allowed"),
    ("{{ joiner() }}", "unknown name 'joiner'"),
    ("{% set ns = namespace() %}", "unknown name 'namespace'"),
    ("{{ range(10) }}", "unknown name 'range'"),
    ("{% include '/etc/passwd' %}", "{% include %} is not allowed"),
    ("{% import 'x' as y %}", "{% import %} is not allowed"),
    ("{% from 'x' import y %}", "{% from ... import %} is not allowed"),
    ("{% extends 'base.html' %}", "{% extends %} is not allowed"),
    ("{{ headline | attr('__class__') }}", "No filter named 'attr'"),
    ("{{ headline['__cla' ~ 'ss__'] }}", "access to attribute '__class__'"),
    ("{{ '{0.__class__}'.format(headline) }}", "access to attribute '__class__'"),
    ("{{ org.update({'union_name': 'x'}) }}", "access to attribute 'update'"),
]


@pytest.mark.parametrize(("body", "message"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_save_refuses_templates_that_reach_out_of_the_sandbox(sqlite_db, now, body, message):
    source = custom_source(body=f"# {{{{ headline }}}}\n\n{body}\n")
    with pytest.raises(InvalidInput) as raised:
        tpl.save_template(sqlite_db, EDITOR, source, now=now)
    assert message in str(raised.value)
    assert "Template 'picket_note.en', line " in str(raised.value)
    assert [t.name for t in tpl.list_templates(sqlite_db) if not t.shipped] == []


@pytest.mark.parametrize(("body", "message"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_rendering_a_template_that_skipped_the_checks_never_leaks(body, message):
    template = dataclasses.replace(shipped("statement.en"), body=f"x\n{body}\n")
    values = tpl.sample_values(template)
    for fmt in ("md", "html", "txt"):
        with pytest.raises(InvalidInput, match=re.escape(message)):
            tpl.render(template, values, org=tpl.SAMPLE_ORG, fmt=fmt)
    with pytest.raises(InvalidInput, match=re.escape(message)):
        tpl.render_docx(template, values, org=tpl.SAMPLE_ORG)


def test_a_subject_is_sandboxed_too():
    template = dataclasses.replace(shipped("pitch_email.en"), subject="{{ ''.__class__ }}")
    with pytest.raises(InvalidInput, match="subject: '__class__' is not allowed"):
        tpl.render_subject(template, tpl.sample_values(template), org=tpl.SAMPLE_ORG)


def test_html_escapes_markup_typed_into_fields():
    template = shipped("press_release.en")
    values = tpl.sample_values(template)
    values["headline"] = "<script>alert('headline')</script>"
    values["body"] = ("<script>alert(1)</script> <img src=x onerror=alert(2)> "
                      "[click](javascript:alert(3)) <a href='http://x'>x</a>")
    html = tpl.render(template, values, org=tpl.SAMPLE_ORG, fmt="html")
    assert not re.search(r"<(script|img|a)\b", html, re.I)
    assert "javascript:" not in html.replace("[click](javascript:alert(3))", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<title>&lt;script&gt;alert(&#x27;headline&#x27;)&lt;/script&gt;</title>" in html
    embargoed = tpl.render(template, tpl.sample_values(template), org=tpl.SAMPLE_ORG, fmt="html",
                           embargo="<b>soon</b>")
    assert "EMBARGOED UNTIL &lt;b&gt;soon&lt;/b&gt;" in embargoed


def test_an_html_release_loads_nothing_from_elsewhere():
    """An image written into a field (a pasted tracking pixel) is dropped, and the page
    tells the browser to load nothing at all."""
    template = shipped("press_release.en")
    values = tpl.sample_values(template)
    values["body"] = "Rally at noon. ![logo](http://127.0.0.1:9/pixel.gif)"
    html = tpl.render(template, values, org=tpl.SAMPLE_ORG, fmt="html")
    assert "Rally at noon." in html
    assert not re.search(r"<img\b", html, re.I) and "pixel.gif" not in html
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in html


# --- parsing errors name the problem and line --------------------------------------------------


@pytest.mark.parametrize(("source", "message"), [
    ("# no front matter\n", "line 1: a template starts with a '+++' line"),
    ("+++\nname = \"x\"\n", "never closed"),
    (custom_source().replace('kind = "statement"', "kind = statement"),
     "not valid TOML: Invalid value (at line 5, column 8)"),
    (custom_source().replace('kind = "statement"', 'kind = "memo"'), "kind must be one of"),
    (custom_source().replace('language = "en"', 'language = "fr"'), "language must be one of"),
    (custom_source(name="Bad Name"), "name must be lower case"),
    (custom_source().replace('kind = "statement"', 'kind = "email"'),
     "an email template needs a subject"),
    (custom_source().replace('label = "When"', 'label = "When"\ncolour = "red"'),
     "field 'when': unknown key(s) colour"),
    (custom_source().replace('type = "date"', 'type = "number"'),
     "field 'when': type must be one of"),
    (custom_source().replace('name = "when"', 'name = "headline"'),
     "field 'headline': declared twice"),
    (custom_source().replace('name = "when"', 'name = "org"'), "'org' is reserved"),
    (custom_source().replace('sample = "2026-12-03"', 'sample = "12/03/2026"'),
     "field 'when': sample: write the date as YYYY-MM-DD"),
    (custom_source(body="# {{ headline }}\n\n{% if headline %}\nno end\n"),
     "Template 'picket_note.en', line 24: Unexpected end of template"),
    (custom_source(body="# {{ headline }}\n{{ headline.nmae }}\n"),
     "line 22: 'str object' has no attribute 'nmae' (while rendering its samples)"),
    (custom_source(body="# {{ headline }}\n{{ headline | nosuch }}\n"),
     "line 22: No filter named 'nosuch'"),
])
def test_parse_errors_name_the_problem(source, message):
    with pytest.raises(InvalidInput) as raised:
        tpl.parse_template(source)
    assert message in str(raised.value)


def test_an_optional_field_used_unguarded_is_refused():
    fields = ('[[fields]]\nname = "speaker"\nlabel = "Speaker"\ntype = "spokesperson"\n'
              'required = false\nsample = { name = "Rosa Delgado" }\n')
    with pytest.raises(InvalidInput, match=r"line 13: .*while rendering only its required"):
        tpl.parse_template(custom_source(fields=fields, body="{{ speaker.name }}\n"))
    guarded = tpl.parse_template(custom_source(
        fields=fields, body="{% if speaker %}{{ speaker.name }}{% endif %}\n"))
    assert guarded.fields[0].sample == {"name": "Rosa Delgado", "role": "", "phone": "",
                                        "email": "", "languages": ""}


# --- custom templates in the store -------------------------------------------------------------


def test_custom_template_round_trip(db, now):
    source = custom_source()
    with pytest.raises(PermissionDenied):
        tpl.save_template(db, VIEWER, source, now=now)
    saved = tpl.save_template(db, EDITOR, source, now=now)
    assert (saved.name, saved.shipped, saved.source) == ("picket_note.en", False, source)

    listed = tpl.list_templates(db)
    assert [t.name for t in listed if not t.shipped] == ["picket_note.en"]
    assert {t.name for t in listed if t.shipped} == set(SHIPPED)
    found = tpl.get_template(db, "picket_note.en")
    assert found == saved
    md = tpl.render(found, {"headline": "Day one", "when": "2026-12-03"}, org=tpl.SAMPLE_ORG,
                    fmt="md")
    assert md.startswith("# Day one\n\n**RIVERBEND, December 3, 2026** — ")

    tpl.save_template(db, EDITOR, custom_source(label="Picket-line note"), now=now)
    assert tpl.get_template(db, "picket_note.en").label == "Picket-line note"
    assert [t.name for t in tpl.list_templates(db) if not t.shipped] == ["picket_note.en"]

    with pytest.raises(PermissionDenied):
        tpl.delete_template(db, VIEWER, "picket_note.en", now=now)
    tpl.delete_template(db, EDITOR, "picket_note.en", now=now)
    with pytest.raises(NotFound, match="No template named 'picket_note.en'"):
        tpl.get_template(db, "picket_note.en")
    with pytest.raises(NotFound):
        tpl.delete_template(db, EDITOR, "picket_note.en", now=now)

    entries = audit.list_entries(db, ADMIN, entity="template")
    assert [(e["action"], e["entity_id"], e["actor"]) for e in reversed(entries)] == [
        ("create", "picket_note.en", "erin"), ("edit", "picket_note.en", "erin"),
        ("delete", "picket_note.en", "erin")]


def test_shipped_names_are_read_only(db, now):
    source = tpl.TEMPLATES_DIR.joinpath("press_release.en.md.j2").read_text("utf-8")
    with pytest.raises(InvalidInput, match="'press_release.en' is a shipped template and "
                       "read-only"):
        tpl.save_template(db, ADMIN, source, now=now)
    with pytest.raises(InvalidInput, match="cannot be deleted"):
        tpl.delete_template(db, ADMIN, "press_release.en", now=now)
    copy = source.replace('name = "press_release.en"', 'name = "press_release_local.en"')
    assert not tpl.save_template(db, ADMIN, copy, now=now).shipped
    assert tpl.get_template(db, "press_release.en").shipped


def test_get_template_suggests_close_names(sqlite_db):
    with pytest.raises(NotFound, match=r"Did you mean press_release\.en"):
        tpl.get_template(sqlite_db, "press_relase.en")
    with pytest.raises(NotFound, match=r"Templates: .*statement\.en"):
        tpl.get_template(sqlite_db, "zzzz")


def test_a_stored_template_that_no_longer_parses_is_left_out_of_the_list(sqlite_db, now):
    tpl.save_template(sqlite_db, EDITOR, custom_source(), now=now)
    with sqlite_db.begin() as conn:
        conn.execute(tpl.release_templates.update().values(source="broken"))
    assert not [t for t in tpl.list_templates(sqlite_db) if not t.shipped]
    with pytest.raises(InvalidInput):
        tpl.get_template(sqlite_db, "picket_note.en")


def test_format_template_list():
    text = tpl.format_template_list([shipped("pitch_email.en"), shipped("rapid_response_ice.en")])
    assert "pitch_email.en  Pitch email  [en, email, shipped]" in text
    assert "[en, rapid_response, rapid-response approval, shipped]" in text
    assert re.search(r"^    first_name\s+text\s+required\s+First name$", text, re.M)
    assert re.search(r"^    embargo\s+text\s+optional\s+Embargo$", text, re.M)
    assert tpl.format_template_list([]) == "No templates.\n"


# --- command line ------------------------------------------------------------------------------


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run `python -m outreach ARGV`; return the exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_templates_list(app_env, capsys):
    code, out, _ = run_cli(capsys, "templates", "list")
    assert code == 0
    for name in SHIPPED:
        assert re.search(rf"^{re.escape(name)}  ", out, re.M)
    assert "[es, email, shipped]" in out


@pytest.mark.parametrize("fmt", tpl.FORMATS)
def test_cli_release_render_writes_each_format(app_env, capsys, tmp_path, now, fmt):
    db = open_store(Settings.from_env().database_url)
    set_org(db, ADMIN, {"union_name": "Canal Street Workers Union",
                        "boilerplate": "We are the workers of Canal Street.",
                        "media_contact_name": "Pat Doe"}, now=now)
    db.dispose()
    data = tmp_path / "values.json"
    data.write_text(json.dumps(tpl.sample_values(shipped("press_release.en"))))
    out = tmp_path / f"release.{fmt}"
    code, printed, _ = run_cli(capsys, "release", "render", "press_release.en", "--data",
                               str(data), "--format", fmt, "--out", str(out), "--draft",
                               "--embargo", EMBARGO)
    assert code == 0 and printed == f"Wrote press_release.en as {fmt} to {out} (draft).\n"
    if fmt == "docx":
        document = docx.Document(str(out))
        text = "\n".join(p.text for p in document.paragraphs)
        assert document.sections[0].header.paragraphs[0].text == tpl.DRAFT_MARK
    else:
        text = out.read_text("utf-8")
        assert tpl.DRAFT_MARK in text
    assert f"EMBARGOED UNTIL {EMBARGO}" in text
    assert "About Canal Street Workers Union" in text
    assert "We are the workers of Canal Street." in text
    assert "Pat Doe" in text and "Northgate Warehouse Workers Vote to Join the Union" in text


def test_cli_release_render_names_a_missing_field(app_env, capsys, tmp_path):
    values = tpl.sample_values(shipped("media_advisory.en"))
    del values["when"]
    data = tmp_path / "values.json"
    data.write_text(json.dumps(values))
    out = tmp_path / "advisory.md"
    code, _, err = run_cli(capsys, "release", "render", "media_advisory.en", "--data", str(data),
                           "--format", "md", "--out", str(out))
    assert code == 1 and "error: Field 'When' (when) is required." in err
    assert not out.exists()


@pytest.mark.parametrize(("content", "message"), [
    (None, "Cannot read"), ("{nope", "is not valid JSON: line 1"),
    ("[1, 2]", "must hold a JSON object"),
])
def test_cli_release_render_explains_a_bad_data_file(app_env, capsys, tmp_path, content, message):
    data = tmp_path / "values.json"
    if content is not None:
        data.write_text(content)
    code, _, err = run_cli(capsys, "release", "render", "statement.en", "--data", str(data),
                           "--format", "md", "--out", str(tmp_path / "x.md"))
    assert code == 1 and message in err


def test_cli_release_render_unknown_template(app_env, capsys, tmp_path):
    data = tmp_path / "values.json"
    data.write_text("{}")
    code, _, err = run_cli(capsys, "release", "render", "statment.en", "--data", str(data),
                           "--format", "md", "--out", str(tmp_path / "x.md"))
    assert code == 1 and "error: No template named 'statment.en'. Did you mean statement.en" in err


@pytest.mark.parametrize("argv", [["templates"], ["templates", "list"], ["release"],
                                  ["release", "render"]], ids=" ".join)
def test_cli_commands_have_help(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    assert "usage: python -m outreach " + " ".join(argv) in capsys.readouterr().out


@pytest.mark.parametrize("expression", [
    "{{ 'x' * 1000000000 }}", "{{ 10 ** 100000 }}", "{{ [1] * 10000000 }}",
    # a text grown by replace, by join, and a loop inside a loop writing 10 billion bytes
    "{{ ('x' * 90000) | replace('x', 'y' * 90000) }}",
    "{{ (('x' * 90000) | list) | join('y' * 90000) }}",
    "{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{{ a }}{% endfor %}{% endfor %}",
], ids=["repeat", "power", "list", "replace", "join", "loops"])
def test_a_template_cannot_exhaust_memory(expression):
    source = ("+++\nname = \"greedy.en\"\nlabel = \"Greedy\"\nlanguage = \"en\"\n"
              "kind = \"statement\"\n+++\n" + expression + "\n")
    with pytest.raises(InvalidInput, match="not allowed|longer than|more than"):
        tpl.render(tpl.parse_template(source), {}, org=tpl.SAMPLE_ORG, fmt="md")


def test_a_template_that_runs_too_long_is_stopped():
    ticks = iter(range(100))
    with pytest.raises(tpl.SecurityError, match="ran for more than"):
        tpl._bounded_output((str(i) for i in range(100)), clock=lambda: next(ticks) * 10.0)
