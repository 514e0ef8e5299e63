"""Release templates: press releases, advisories, statements, letters and pitch e-mails.

A template is Jinja2 Markdown with TOML front matter between `+++` lines: the
front matter names the template and declares its fields (with a label, help text,
type and a sample value); the body turns those fields, plus the committee's
`org` settings, `embargo` and `draft`, into Markdown. Shipped templates live in
`templates/*.md.j2` and are read-only; the committee's own live in the
`release_templates` table.

Users edit templates, so a template is untrusted code. It is compiled from a
string (no loader: no include, import or extends) in an immutable sandbox with
no globals, a short list of filters and StrictUndefined; `parse_template` also
refuses, line by line, any reach for `_attributes`, `self` or a name that is not
a field, then renders the template with its samples to prove it works. The
rendered Markdown becomes HTML through markdown-it-py with raw HTML off (so a
`<script>` typed into a field prints as text), then nh3; plain text and .docx
are built from the same parsed Markdown.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import html
import io
import logging
import re
import tomllib
from datetime import date, time
from time import monotonic
from typing import Any

import docx
import nh3
import sqlalchemy as sa
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from jinja2 import StrictUndefined, TemplateError, nodes, pass_eval_context
from jinja2 import Template as JinjaTemplate
from jinja2.exceptions import SecurityError
from jinja2.filters import do_join, do_replace, make_attrgetter
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.config import TEMPLATES_DIR
from outreach.errors import InvalidInput, NotFound
from outreach.org_settings import OrgSettings
from outreach.roles import Actor, require
from outreach.store.tables import release_templates

logger = logging.getLogger(__name__)

SUFFIX = ".md.j2"

LANGUAGES = ("en", "es")
KINDS = (
    "release", "advisory", "statement", "strike", "strike_update", "rapid_response",
    "letter", "oped", "email",
)
# Kinds that print as a release: headline, dateline, boilerplate, media contact, ###.
RELEASE_KINDS = ("release", "advisory", "statement", "strike", "strike_update", "rapid_response")
FIELD_TYPES = ("text", "long_text", "date", "time", "list", "spokesperson", "contact")
PERSON_KEYS = ("name", "role", "phone", "email", "languages")
FORMATS = ("md", "html", "txt", "docx")
# What a template may use besides its own fields.
CONTEXT_NAMES = ("org", "embargo", "draft")
ORG_KEYS = (
    "union_name", "boilerplate", "media_contact_name", "media_contact_phone",
    "media_contact_email",
)
DRAFT_MARK = "DRAFT — NOT FOR RELEASE"
END_MARK = "###"

# Fictional settings for previews and for proving a template renders.
SAMPLE_ORG = OrgSettings(
    union_name="Riverbend Workers Union",
    boilerplate="The Riverbend Workers Union represents 4,000 warehouse, hospital and transit "
    "workers across the Riverbend region. Members bargain together for fair pay, safe "
    "staffing and a real voice on the job.",
    media_contact_name="Jordan Ellis",
    media_contact_phone="555-0100",
    media_contact_email="press@example.org",
)

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,119}")
_FIELD_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,59}")
# Jinja keywords and names with a meaning of their own in a template.
_RESERVED = frozenset(
    ("org", "draft", "self", "loop", "caller", "varargs", "kwargs", "true", "false", "none",
     "and", "or", "not", "in", "is", "if", "else", "for", "block", "macro", "set", "with")
)
_FRONT_KEYS = ("name", "label", "language", "kind", "rapid_response", "subject", "fields")
_FIELD_KEYS = ("name", "label", "help", "type", "required", "sample")
_FORBIDDEN_TAGS = {
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
}
_FILTERS = (
    "abs", "capitalize", "count", "d", "default", "first", "float", "int", "join", "last",
    "length", "list", "lower", "map", "reject", "replace", "reverse", "round", "select",
    "sort", "string", "title", "trim", "truncate", "unique", "upper", "wordcount",
)
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}
_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}


@dataclasses.dataclass(frozen=True)
class Field:
    """One value a template asks for: shown as a form input with its label and help."""

    name: str
    label: str
    help: str
    type: str
    required: bool
    sample: Any


@dataclasses.dataclass(frozen=True)
class Template:
    """A parsed template: its front matter, its Jinja body and where it came from.

    `body_line` is the line of `source` where the body starts, so errors point at
    the line the author sees in the editor.
    """

    name: str
    label: str
    language: str
    kind: str
    rapid_response: bool
    subject: str | None
    fields: tuple[Field, ...]
    body: str
    source: str
    shipped: bool
    body_line: int = 1


# --- the sandbox -----------------------------------------------------------------------------


def _long_date(language: str):
    def long_date(value, weekday: bool = False) -> str:
        if not value:
            return ""
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        month = _MONTHS[language][day.month - 1]
        name = _WEEKDAYS[language][day.weekday()]
        if language == "es":
            text = f"{day.day} de {month} de {day.year}"
            return f"{name} {text}" if weekday else text
        text = f"{month} {day.day}, {day.year}"
        return f"{name}, {text}" if weekday else text

    return long_date


def _clock(language: str):
    def clock(value) -> str:
        if not value:
            return ""
        moment = value if isinstance(value, time) else time.fromisoformat(str(value))
        hour = moment.hour % 12 or 12
        half = ("a. m.", "p. m.") if language == "es" else ("a.m.", "p.m.")
        return f"{hour}:{moment.minute:02d} {half[moment.hour >= 12]}"

    return clock


# Longest text or list a template may build with * or **, so a typo like 'x' * 10**9
# cannot exhaust the machine's memory.
MAX_PRODUCT = 100_000


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with * and ** bounded in size."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("a power above 64 is not allowed in a template")
        if operator == "*":
            sizes = [len(v) for v in (left, right) if isinstance(v, str | list | tuple)]
            counts = [v for v in (left, right) if isinstance(v, int)]
            if sizes and counts and sizes[0] * max(counts[0], 0) > MAX_PRODUCT:
                raise SecurityError(f"a text longer than {MAX_PRODUCT} characters is not "
                                    "allowed in a template")
        return super().call_binop(context, operator, left, right)


@functools.cache
def _environment(language: str) -> ImmutableSandboxedEnvironment:
    """The sandbox for one language: no loader, no globals, a short list of filters."""
    env = _BoundedSandbox(
        loader=None, autoescape=False, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in _FILTERS}
    env.filters["replace"] = _bounded_replace
    env.filters["join"] = _bounded_join
    env.filters["longdate"] = _long_date(language)
    env.filters["clock"] = _clock(language)
    return env


def _where(label: str, first_line: int | None, line: int | None) -> str:
    if first_line is None:
        return f"{label}, subject"
    if line is None:
        return label
    return f"{label}, line {first_line + line - 1}"


def _static_problem(tree: nodes.Template, allowed: frozenset[str]) -> tuple[int, str] | None:
    """The first thing a template may not do, with its line; None when it is clean."""
    problems: list[tuple[int, str]] = []
    for node_type, tag in _FORBIDDEN_TAGS.items():
        for node in tree.find_all(node_type):
            problems.append((node.lineno, f"{tag} is not allowed: a template is one "
                             "self-contained text and cannot read other files"))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(key, str) and key.startswith("_"):
            problems.append((node.lineno, f"{key!r} is not allowed: templates cannot reach "
                             "into Python internals"))
    unknown = find_undeclared_variables(tree) - allowed
    for node in tree.find_all(nodes.Name):
        if node.ctx != "load":
            continue
        if node.name == "self":
            problems.append((node.lineno, "'self' is not allowed: use the fields by name"))
        elif node.name in unknown:
            problems.append((node.lineno, f"unknown name {node.name!r}: a template may use its "
                             f"fields ({', '.join(sorted(allowed - set(CONTEXT_NAMES))) or 'none'})"
                             f" and {', '.join(CONTEXT_NAMES)}"))
    return min(problems, key=lambda problem: problem[0]) if problems else None


@functools.lru_cache(maxsize=256)
def _compile(
    language: str, text: str, allowed: frozenset[str], label: str, first_line: int | None,
) -> JinjaTemplate:
    """Compile untrusted template text, refusing what a template may not do."""
    env = _environment(language)
    try:
        tree = env.parse(text)
        # Runs the code generator, so an unknown filter or test is reported here too.
        problem = _static_problem(tree, allowed)
        if problem:
            raise InvalidInput(f"{_where(label, first_line, problem[0])}: {problem[1]}.")
        return env.from_string(tree)
    except TemplateError as exc:
        raise InvalidInput(
            f"{_where(label, first_line, getattr(exc, 'lineno', None))}: {exc.message}"
        ) from None


def _template_line(exc: BaseException) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# A release, pitch or report is a few pages; what a template writes stops here, so loops
# inside loops or a replace that grows a text cannot fill the machine's memory.
MAX_OUTPUT = 1_000_000
MAX_SECONDS = 5.0


def _bounded_output(chunks, clock=monotonic) -> str:
    """Join what a template writes, stopping at MAX_OUTPUT characters or MAX_SECONDS."""
    out, size, deadline = [], 0, clock() + MAX_SECONDS
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise SecurityError(f"the template writes more than {MAX_OUTPUT:,} characters; "
                                "a release is a few pages")
        if clock() > deadline:
            raise SecurityError(f"the template ran for more than {MAX_SECONDS:g} seconds")
        out.append(chunk)
    return "".join(out)


@pass_eval_context
def _bounded_replace(eval_ctx, value, old, new, count=None):
    """Jinja's replace, refused when its result would be longer than MAX_OUTPUT."""
    text, old_text, new_text = str(value), str(old), str(new)
    times = text.count(old_text) if old_text else len(text) + 1
    if count is not None:
        times = min(times, max(int(count), 0))
    if len(text) + times * (len(new_text) - len(old_text)) > MAX_OUTPUT:
        raise SecurityError(f"replace would make a text longer than {MAX_OUTPUT:,} characters")
    return do_replace(eval_ctx, value, old, new, count)


@pass_eval_context
def _bounded_join(eval_ctx, value, d="", attribute=None):
    """Jinja's join (attributes looked up through the sandbox, as it does), refused when its
    result would be longer than MAX_OUTPUT."""
    if attribute is not None:
        value = map(make_attrgetter(eval_ctx.environment, attribute), value)
    items = list(value)
    if sum(len(str(i)) for i in items) + len(str(d)) * max(len(items) - 1, 0) > MAX_OUTPUT:
        raise SecurityError(f"join would make a text longer than {MAX_OUTPUT:,} characters")
    return do_join(eval_ctx, items, d)


def _run(compiled: JinjaTemplate, context: dict, label: str, first_line: int | None) -> str:
    """Render in the sandbox; any failure, including a refused attribute or a text grown
    past MAX_OUTPUT, is InvalidInput."""
    try:
        return _bounded_output(compiled.generate(context))
    except Exception as exc:  # the template is user code: every failure is the user's to fix
        message = exc.message if isinstance(exc, TemplateError) and exc.message else str(exc)
        where = _where(label, first_line, _template_line(exc))
        raise InvalidInput(f"{where}: {message or type(exc).__name__}") from None


# --- parsing -----------------------------------------------------------------------------------


def _fail(label: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{label}: {problem}")


def _default_sample(field: Field) -> object:
    """A stand-in sample for a field declared without one."""
    return {
        "date": "2026-12-03",
        "time": "06:00",
        "list": [field.label],
        "spokesperson": {"name": "Sample Speaker", "role": "member"},
        "contact": {"name": "Sample Contact", "phone": "555-0100"},
    }.get(field.type, field.label)


def _field_from_toml(index: int, raw: object, label: str, seen: set[str]) -> Field:
    if not isinstance(raw, dict):
        raise _fail(label, f"fields entry {index} must be a [[fields]] table")
    where = f"{label}, field {raw.get('name', index)!r}"
    unknown = set(raw) - set(_FIELD_KEYS)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(sorted(unknown))}; "
                    f"use {', '.join(_FIELD_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not _FIELD_NAME_RE.fullmatch(name):
        raise _fail(where, "name must be lower case letters, digits and _, starting with a "
                    "letter")
    if name in _RESERVED:
        raise _fail(where, f"{name!r} is reserved; choose another name")
    if name in seen:
        raise _fail(where, "declared twice")
    seen.add(name)
    type_ = raw.get("type")
    if type_ not in FIELD_TYPES:
        raise _fail(where, f"type must be one of {', '.join(FIELD_TYPES)}")
    if name == "embargo" and type_ != "text":
        raise _fail(where, "a field named embargo must be of type text")
    field_label = raw.get("label")
    if not isinstance(field_label, str) or not field_label.strip():
        raise _fail(where, "label must be a non-empty string")
    help_text = raw.get("help", "")
    if not isinstance(help_text, str):
        raise _fail(where, "help must be a string")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise _fail(where, "required must be true or false")
    field = Field(name, field_label.strip(), help_text.strip(), type_, required, None)
    try:
        sample = _normalise(field, raw["sample"] if "sample" in raw else _default_sample(field))
    except _ValueProblem as exc:
        raise _fail(where, f"sample: {exc}") from None
    if required and _is_empty(sample):
        raise _fail(where, "a required field needs a non-empty sample")
    return dataclasses.replace(field, sample=sample)


def _shift_toml_line(message: str) -> str:
    # tomllib counts from the first line after '+++'; the author counts from the file's top.
    return re.sub(r"at line (\d+)", lambda m: f"at line {int(m.group(1)) + 1}", message)


def parse_template(source: str, *, shipped: bool = False) -> Template:
    """Parse and check a template; raise InvalidInput naming the problem and its line.

    Checks the front matter, compiles the body (and subject) in the sandbox using
    only declared fields plus org, embargo and draft, then renders it twice, with
    every sample and with only the required ones, so a saved template is known to work.
    """
    lines = source.splitlines(keepends=True)
    if not lines or lines[0].strip() != "+++":
        raise InvalidInput("Template, line 1: a template starts with a '+++' line, then its "
                           "TOML front matter, a closing '+++' line, and the body.")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "+++"), None)
    if end is None:
        raise InvalidInput("Template, line 1: the front matter opened by '+++' is never closed "
                           "by another '+++' line.")
    try:
        meta = tomllib.loads("".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"Template front matter is not valid TOML: "
                           f"{_shift_toml_line(str(exc))}.") from None
    name = meta.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InvalidInput("Template front matter: name must be lower case letters, digits, "
                           "'_', '-' or '.', e.g. picket_flyer.en (at most 120 characters).")
    label = f"Template {name!r}"
    unknown = set(meta) - set(_FRONT_KEYS)
    if unknown:
        raise _fail(label, f"unknown front matter key(s) {', '.join(sorted(unknown))}; use "
                    f"{', '.join(_FRONT_KEYS)}")
    title = meta.get("label")
    if not isinstance(title, str) or not title.strip():
        raise _fail(label, "label must be a non-empty string, e.g. \"Press release\"")
    language = meta.get("language")
    if language not in LANGUAGES:
        raise _fail(label, f"language must be one of {', '.join(LANGUAGES)}")
    kind = meta.get("kind")
    if kind not in KINDS:
        raise _fail(label, f"kind must be one of {', '.join(KINDS)}")
    rapid = meta.get("rapid_response", False)
    if not isinstance(rapid, bool):
        raise _fail(label, "rapid_response must be true or false")
    subject = meta.get("subject")
    if subject is not None and (not isinstance(subject, str) or not subject.strip()):
        raise _fail(label, "subject must be a non-empty string")
    if kind == "email" and subject is None:
        raise _fail(label, "an email template needs a subject")
    raw_fields = meta.get("fields", [])
    if not isinstance(raw_fields, list):
        raise _fail(label, "fields must be a list of [[fields]] tables")
    seen: set[str] = set()
    fields = tuple(_field_from_toml(i, raw, label, seen) for i, raw in enumerate(raw_fields, 1))
    template = Template(
        name=name, label=title.strip(), language=language, kind=kind, rapid_response=rapid,
        subject=subject, fields=fields, body="".join(lines[end + 1:]), source=source,
        shipped=shipped, body_line=end + 2,
    )
    _compiled(template)
    everything = sample_values(template)
    required_only = {f.name: everything[f.name] for f in fields if f.required}
    for values, org in ((everything, SAMPLE_ORG), (required_only, OrgSettings())):
        try:
            _render_markdown(template, values, org=org, draft=True, embargo="sample")
            if subject is not None:
                render_subject(template, values, org=org)
        except InvalidInput as exc:
            which = "its samples" if values is everything else "only its required fields"
            raise InvalidInput(f"{exc} (while rendering {which})") from None
    return template


def _compiled(template: Template) -> tuple[JinjaTemplate, JinjaTemplate | None]:
    allowed = frozenset({f.name for f in template.fields} | set(CONTEXT_NAMES))
    label = f"Template {template.name!r}"
    body = _compile(template.language, template.body, allowed, label, template.body_line)
    subject = None
    if template.subject is not None:
        subject = _compile(template.language, template.subject, allowed, label, None)
    return body, subject


# --- values ------------------------------------------------------------------------------------


class _ValueProblem(ValueError):
    """A value of the wrong shape; check_values names the field."""


def _is_empty(value: object) -> bool:
    return value in (None, "", [], {})


def _one_line(value: object, what: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _ValueProblem(f"write {what}")
    return " ".join(value.split())


def _normalise(field: Field, value: object) -> object:
    """The value in its stored shape ('' / [] / {} when empty), or _ValueProblem."""
    kind = field.type
    if value is None:
        return {"list": [], "spokesperson": {}, "contact": {}}.get(kind, "")
    if kind == "text":
        return _one_line(value, "text")
    if kind == "long_text":
        if not isinstance(value, str):
            raise _ValueProblem("write text")
        return "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").split("\n")).strip()
    if kind == "date":
        text = value.isoformat() if isinstance(value, date) else _one_line(value, "a date")
        if not text:
            return ""
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise _ValueProblem("write the date as YYYY-MM-DD, e.g. 2026-12-03") from None
    if kind == "time":
        text = value.strftime("%H:%M") if isinstance(value, time) else _one_line(value, "a time")
        if not text:
            return ""
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise _ValueProblem("write the time as HH:MM on the 24-hour clock, e.g. 18:30")
        return f"{int(match.group(1)):02d}:{match.group(2)}"
    if kind == "list":
        items = value.splitlines() if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            raise _ValueProblem("write a list of texts (one item per line)")
        return [line for line in (" ".join(i.split()) for i in items) if line]
    # spokesperson and contact: a person
    if value == {}:
        return {}
    if not isinstance(value, dict):
        raise _ValueProblem(f"give a person as {{{', '.join(PERSON_KEYS)}}}")
    unknown = set(value) - set(PERSON_KEYS)
    if unknown:
        raise _ValueProblem(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; use "
                            f"{', '.join(PERSON_KEYS)}")
    person = {}
    for key in PERSON_KEYS:
        item = value.get(key) or ""
        if key == "languages" and isinstance(item, list | tuple):
            item = ", ".join(str(i) for i in item)
        person[key] = _one_line(item, f"the {key} as text")
    if not person["name"]:
        raise _ValueProblem("a person needs at least a name")
    return person


def check_values(template: Template, values: dict) -> dict:
    """Check and normalise field values for `template`, in its field order.

    Required fields must be present and non-empty; dates are YYYY-MM-DD, times
    HH:MM, lists lists of texts, people dicts with at least a name. Every problem
    is reported at once, each naming the field by label and name.
    """
    if not isinstance(values, dict):
        raise InvalidInput("Field values must be a mapping of field name to value.")
    names = [f.name for f in template.fields]
    problems = []
    unknown = sorted(set(values) - set(names))
    if unknown:
        problems.append(f"Unknown field(s) {', '.join(map(repr, unknown))} for template "
                        f"{template.name!r}; its fields are {', '.join(names) or 'none'}.")
    clean = {}
    for field in template.fields:
        try:
            clean[field.name] = _normalise(field, values.get(field.name))
        except _ValueProblem as exc:
            problems.append(f"Field '{field.label}' ({field.name}): {exc}.")
            continue
        if field.required and _is_empty(clean[field.name]):
            problems.append(f"Field '{field.label}' ({field.name}) is required.")
    if problems:
        raise InvalidInput("\n".join(problems))
    return clean


def sample_values(template: Template) -> dict:
    """Every field's sample value, for previews and as a starting point for a form."""
    return {f.name: copy.deepcopy(f.sample) for f in template.fields}


# --- rendering ---------------------------------------------------------------------------------


def _context(template: Template, values: dict, org, draft: bool, embargo: str | None) -> dict:
    clean = check_values(template, values)
    return {
        **clean,
        "org": {key: str(getattr(org, key, "") or "") for key in ORG_KEYS},
        "draft": draft,
        # An email's own embargo field fills in when the caller gives none.
        "embargo": embargo or clean.get("embargo", ""),
    }


def _clean_embargo(embargo: str | None) -> str | None:
    text = " ".join((embargo or "").split())
    return text or None


def _render_markdown(template: Template, values: dict, *, org, draft: bool,
                     embargo: str | None) -> str:
    body, _ = _compiled(template)
    text = _run(body, _context(template, values, org, draft, embargo),
                f"Template {template.name!r}", template.body_line)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _banners(draft: bool, embargo: str | None) -> str:
    lines = ([f"**{DRAFT_MARK}**"] if draft else []) + (
        [f"**EMBARGOED UNTIL {embargo}**"] if embargo else [])
    return "".join(f"{line}\n\n" for line in lines)


def render(template: Template, values: dict, *, org, fmt: str, draft: bool = False,
           embargo: str | None = None) -> str:
    """Render `template` with `values` as Markdown ("md"), a print-ready HTML page ("html")
    or a plain-text e-mail body ("txt").

    `org` supplies the union's name, boilerplate and media contact; `embargo` is the
    embargo time already formatted in the campaign's zone, stated at the top when given;
    `draft` marks the output "DRAFT — NOT FOR RELEASE". Field values are escaped in HTML.
    """
    if fmt not in ("md", "html", "txt"):
        raise InvalidInput(f"Unknown format {fmt!r}: use md, html or txt (docx has "
                           "render_docx).")
    embargo = _clean_embargo(embargo)
    body = _render_markdown(template, values, org=org, draft=draft, embargo=embargo)
    if fmt == "html":
        return _html_page(template, body, draft=draft, embargo=embargo)
    text = _banners(draft, embargo) + body
    return text if fmt == "md" else _markdown_to_text(text)


def render_subject(template: Template, values: dict, *, org, embargo: str | None = None) -> str:
    """The e-mail subject line of `template` (one line), from its `subject` front matter."""
    _, subject = _compiled(template)
    if subject is None:
        raise InvalidInput(f"Template {template.name!r} has no subject; only e-mail templates "
                           "and pitches do.")
    context = _context(template, values, org, False, _clean_embargo(embargo))
    return " ".join(_run(subject, context, f"Template {template.name!r}", None).split())


def render_docx(template: Template, values: dict, *, org, draft: bool = False,
                embargo: str | None = None) -> bytes:
    """Render `template` as a Word document: headline as the title, the body with simple
    bold and italics, the `###` end mark centered, "EMBARGOED UNTIL ..." first when
    given, and "DRAFT — NOT FOR RELEASE" in the page header of a draft."""
    embargo = _clean_embargo(embargo)
    blocks = _blocks(_render_markdown(template, values, org=org, draft=draft, embargo=embargo))
    document = docx.Document()
    props = document.core_properties
    props.title = _title(blocks) or template.label
    props.author = str(getattr(org, "union_name", "") or "")
    props.comments = ""
    props.language = template.language
    if draft:
        header = document.sections[0].header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        mark = header.add_run(DRAFT_MARK)
        mark.bold = True
        mark.font.size = Pt(16)
        mark.font.color.rgb = RGBColor(0xB0, 0x00, 0x00)
    if embargo:
        document.add_paragraph().add_run(f"EMBARGOED UNTIL {embargo}").bold = True
    for block in blocks:
        _add_docx_block(document, block)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- Markdown to blocks, text, HTML and docx ---------------------------------------------------


def _markdown_parser() -> MarkdownIt:
    # Raw HTML off: a `<script>` in a field prints as text. A line break in a template is
    # a line break in the output, as in the contact block.
    return MarkdownIt("commonmark", {"html": False, "breaks": True})


def _mark_end(markdown: str) -> str:
    # A lone `###` is an empty heading in Markdown; escaped, it prints as the end mark.
    return re.sub(r"(?m)^[ \t]*###[ \t]*$", r"\\###", markdown)


@dataclasses.dataclass
class _Run:
    text: str
    bold: bool = False
    italic: bool = False


@dataclasses.dataclass
class _Block:
    kind: str  # heading, para, item, quote, code, rule, end
    runs: list[_Run]
    level: int = 0
    marker: str = ""

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


def _runs(children) -> list[_Run]:
    runs: list[_Run] = []
    bold = italic = 0
    links: list[tuple[str, int]] = []
    for token in children or ():
        kind = token.type
        if kind in ("strong_open", "strong_close"):
            bold += 1 if kind == "strong_open" else -1
        elif kind in ("em_open", "em_close"):
            italic += 1 if kind == "em_open" else -1
        elif kind in ("text", "code_inline") and token.content:
            runs.append(_Run(token.content, bold > 0, italic > 0))
        elif kind in ("softbreak", "hardbreak"):
            runs.append(_Run("\n"))
        elif kind == "link_open":
            links.append((str(token.attrGet("href") or ""), len(runs)))
        elif kind == "link_close":
            href, start = links.pop()
            shown = "".join(run.text for run in runs[start:])
            if href and href not in (shown, f"mailto:{shown}"):
                runs.append(_Run(f" ({href})"))
        elif kind == "image":
            runs.append(_Run(f"{token.content} ({token.attrGet('src')})"))
    return runs


def _blocks(markdown: str) -> list[_Block]:
    """Markdown as a flat list of blocks that plain text and docx both print."""
    blocks: list[_Block] = []
    lists: list[bool] = []  # ordered?
    quote = 0
    marker = ""
    kind, level = "para", 0
    for token in _markdown_parser().parse(_mark_end(markdown)):
        t = token.type
        if t == "heading_open":
            kind, level = "heading", int(token.tag[1])
        elif t == "paragraph_open":
            kind = "item" if lists else "quote" if quote else "para"
        elif t in ("bullet_list_open", "ordered_list_open"):
            lists.append(t == "ordered_list_open")
        elif t in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t == "list_item_open":
            marker = f"{token.info}. " if lists[-1] else "- "
        elif t in ("blockquote_open", "blockquote_close"):
            quote += 1 if t == "blockquote_open" else -1
        elif t == "inline":
            runs = _runs(token.children)
            if kind == "item":
                blocks.append(_Block("item", runs, len(lists), marker))
                marker = ""
            elif kind == "heading":
                blocks.append(_Block("heading", runs, level))
            else:
                text = "".join(run.text for run in runs).strip()
                blocks.append(_Block("end" if text == END_MARK else kind, runs))
        elif t in ("fence", "code_block"):
            blocks.append(_Block("code", [_Run(token.content.rstrip("\n"))]))
        elif t == "hr":
            blocks.append(_Block("rule", []))
    return blocks


def _title(blocks: list[_Block]) -> str:
    return next((b.text.strip() for b in blocks if b.kind == "heading" and b.level == 1), "")


def _markdown_to_text(markdown: str) -> str:
    """Plain text for an e-mail body: headings as lines, links as 'text (url)', no marks."""
    out: list[str] = []
    previous = ""
    for block in _blocks(markdown):
        text = block.text
        if block.kind == "item":
            indent = "   " * (block.level - 1)
            pad = "\n" + indent + " " * len(block.marker or "- ")
            text = indent + (block.marker or " " * 2) + text.replace("\n", pad)
        elif block.kind == "quote":
            text = "> " + text.replace("\n", "\n> ")
        elif block.kind == "rule":
            text = "---"
        if out:
            out.append("\n" if block.kind == previous == "item" else "\n\n")
        out.append(text)
        previous = block.kind
    return "".join(out).strip() + "\n"


_CSS = """
@page { margin: 2cm; }
body { font-family: Georgia, "Times New Roman", serif; font-size: 12pt; line-height: 1.5;
  color: #111; max-width: 42em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.8em; line-height: 1.2; margin: .6em 0 .3em; }
h2 { font-size: 1.25em; margin: 1.4em 0 .3em; }
h3 { font-size: 1.05em; }
blockquote { margin: 1em 2em; font-style: italic; }
a { color: #124; }
p.end { text-align: center; margin-top: 2em; }
.embargo { font-weight: bold; letter-spacing: .03em; }
.draft-banner { border: 2px solid #b00; color: #b00; font: bold 11pt sans-serif;
  text-align: center; padding: .4em; margin-bottom: 1.5em; }
.watermark { position: fixed; top: 42%; left: 0; right: 0; text-align: center;
  transform: rotate(-30deg); font: bold 48pt sans-serif; color: rgba(176, 0, 0, .14);
  pointer-events: none; z-index: 10; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media print { body { margin: 0; max-width: none; padding: 0; } }
"""


# A release page is text: it loads nothing (an image from elsewhere would tell its host
# who opened the file, and when), and says so to the browser too.
_HTML_TAGS = nh3.ALLOWED_TAGS - {"img"}
_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def _html_page(template: Template, markdown: str, *, draft: bool, embargo: str | None) -> str:
    fragment = nh3.clean(_markdown_parser().render(_mark_end(markdown)), tags=_HTML_TAGS)
    fragment = fragment.replace(f"<p>{END_MARK}</p>", f'<p class="end">{END_MARK}</p>')
    title = html.escape(_title(_blocks(markdown)) or template.label)
    top = ""
    if draft:
        top += (f'<div class="watermark" aria-hidden="true">{DRAFT_MARK}</div>\n'
                f'<p class="draft-banner">{DRAFT_MARK}</p>\n')
    if embargo:
        top += f'<p class="embargo">EMBARGOED UNTIL {html.escape(embargo)}</p>\n'
    return (
        f'<!DOCTYPE html>\n<html lang="{template.language}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_HTML_POLICY}">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{top}"
        f"<main>\n{fragment}</main>\n</body>\n</html>\n"
    )


def _add_docx_block(document, block: _Block) -> None:
    if block.kind == "heading":
        paragraph = document.add_heading(level=0 if block.level == 1 else block.level - 1)
    elif block.kind == "item":
        # Ordered items keep their own numbers: Word's numbering would run on between lists.
        ordered = block.marker[:1].isdigit()
        depth = "" if block.level <= 1 else f" {min(block.level, 3)}"
        style = ("List" if ordered else "List Bullet") if block.marker else "List Continue"
        paragraph = document.add_paragraph(style=style + depth)
        if ordered:
            paragraph.add_run(block.marker)
    elif block.kind == "quote":
        paragraph = document.add_paragraph(style="Quote")
    else:
        paragraph = document.add_paragraph()
    if block.kind in ("end", "rule"):
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(END_MARK if block.kind == "end" else "* * *")
        return
    for run in block.runs:
        added = paragraph.add_run(run.text)
        added.bold = run.bold or None
        added.italic = run.italic or None
        if block.kind == "code":
            added.font.name = "Courier New"


# --- the store ---------------------------------------------------------------------------------


def _shipped() -> dict[str, Template]:
    files = sorted(TEMPLATES_DIR.glob(f"*{SUFFIX}"))
    return _load_shipped(tuple((f.name, f.stat().st_mtime_ns) for f in files))


@functools.lru_cache(maxsize=1)
def _load_shipped(stamp: tuple[tuple[str, int], ...]) -> dict[str, Template]:
    # Keyed on names and modification times, so an edited file is read again.
    loaded = {}
    for filename, _ in stamp:
        template = parse_template((TEMPLATES_DIR / filename).read_text("utf-8"), shipped=True)
        if template.name != filename.removesuffix(SUFFIX):
            raise InvalidInput(f"templates/{filename} names itself {template.name!r}; the file "
                               f"must be named {template.name}{SUFFIX}.")
        loaded[template.name] = template
    return loaded


def _custom_sources(db: Engine) -> list[tuple[str, str]]:
    with db.connect() as conn:
        return [(name, source) for name, source in conn.execute(
            sa.select(release_templates.c.name, release_templates.c.source)
            .order_by(release_templates.c.name)
        )]


def list_templates(db: Engine) -> list[Template]:
    """Every template: the shipped ones, then the committee's own, each by name.

    A stored template that no longer parses, or whose name a shipped template has
    since taken, is left out of the list and logged, so one bad row cannot hide the rest.
    """
    shipped = _shipped()
    custom = []
    for name, source in _custom_sources(db):
        if name in shipped:
            logger.warning("custom template %s is hidden by the shipped one of that name", name)
            continue
        try:
            custom.append(parse_template(source))
        except InvalidInput as exc:
            logger.warning("custom template %s does not parse: %s", name, exc)
    return list(shipped.values()) + custom


def get_template(db: Engine, name: str) -> Template:
    """The template called `name`; NotFound suggests the closest names."""
    shipped = _shipped()
    if name in shipped:
        return shipped[name]
    with db.connect() as conn:
        source = conn.execute(
            sa.select(release_templates.c.source).where(release_templates.c.name == name)
        ).scalar()
    if source is not None:
        return parse_template(source)
    names = list(shipped) + [n for n, _ in _custom_sources(db)]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"Did you mean {', '.join(close)}?" if close else f"Templates: {', '.join(names)}."
    raise NotFound(f"No template named {name!r}. {hint}")


def save_template(db: Engine, actor: Actor, source: str, *, now) -> Template:
    """Check `source` and store it as a custom template (editors and above).

    The front matter's `name` decides which: an existing custom template of that name
    is replaced, otherwise one is added. Shipped names are read-only.
    """
    require(actor, "editor", "saving a template")
    template = parse_template(source)
    if template.name in _shipped():
        raise InvalidInput(f"{template.name!r} is a shipped template and read-only; save your "
                           "version under a new name (change `name` in the front matter).")
    with db.begin() as conn:
        found = conn.execute(
            sa.select(release_templates.c.id).where(release_templates.c.name == template.name)
        ).scalar()
        if found is None:
            conn.execute(release_templates.insert().values(
                name=template.name, source=source, created_by=actor.name, created_at=now,
                updated_at=now))
        else:
            conn.execute(release_templates.update().where(release_templates.c.id == found)
                         .values(source=source, updated_at=now))
        audit.record(conn, actor, entity="template", action="create" if found is None else "edit",
                     entity_id=template.name, summary=template.label, now=now)
    return template


def delete_template(db: Engine, actor: Actor, name: str, *, now) -> None:
    """Delete a custom template (editors and above). Releases keep their own text."""
    require(actor, "editor", "deleting a template")
    if name in _shipped():
        raise InvalidInput(f"{name!r} is a shipped template and cannot be deleted.")
    with db.begin() as conn:
        gone = conn.execute(
            release_templates.delete().where(release_templates.c.name == name)).rowcount
        if not gone:
            raise NotFound(f"No custom template named {name!r}.")
        audit.record(conn, actor, entity="template", action="delete", entity_id=name, now=now)


def format_template_list(templates: list[Template]) -> str:
    """The text `templates list` prints: each template with its language, kind and fields."""
    out = []
    for template in templates:
        tags = [template.language, template.kind]
        if template.rapid_response:
            tags.append("rapid-response approval")
        tags.append("shipped" if template.shipped else "custom")
        out.append(f"{template.name}  {template.label}  [{', '.join(tags)}]")
        width = max((len(f.name) for f in template.fields), default=0)
        for field in template.fields:
            need = "required" if field.required else "optional"
            out.append(f"    {field.name:<{width}}  {field.type:<12}  {need:<8}  {field.label}")
        out.append("")
    return "\n".join(out).rstrip() + "\n" if out else "No templates.\n"
