"""The protected-names guard: matching rules, offsets, exemptions, the list, display, CLI."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach.auth import audit
from outreach.cli import main
from outreach.errors import InvalidInput, NotFound, PermissionDenied
from outreach.presslist.spokespeople import add_spokesperson
from outreach.releases.protected_names import (
    Match,
    ProtectedName,
    add_protected,
    check_text,
    describe_matches,
    find_matches,
    highlight_markdown,
    list_protected,
    remove_protected,
    require_clean,
)
from outreach.roles import Actor

ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
VIEWER = Actor("vi", "viewer")
APPROVER = Actor("ap", "approver")

MARIA = ProtectedName(1, "María González", ("Mari", "La Flaca"))
ANA = ProtectedName(2, "Ana")


def found(text: str, *names: ProtectedName, exempt=()) -> list[str]:
    return [m.text for m in find_matches(text, list(names) or [MARIA], exempt)]


# --- matching rules --------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "maria gonzalez", "MARIA GONZALEZ", "María González", "MARÍA GONZÁLEZ",
    "Mari\u0301a Gonza\u0301lez",  # accents as separate combining marks
    "Ｍａｒｉａ Ｇｏｎｚａｌｅｚ",  # full-width letters
])
def test_case_and_accents_do_not_matter(text):
    assert found(f"Quote from {text} today.") == [text]


@pytest.mark.parametrize(("name", "text"), [
    ("Jørgen Strauß", "JORGEN STRAUSS"),
    ("Jorgen Strauss", "Jørgen Strauß"),
    ("Łukasz Dąbrowski", "Lukasz Dabrowski"),
    ("Æsa Þórsdóttir", "Aesa Thorsdottir"),
    ("Đorđe Ilić", "Djorde Ilic, no: Dorde Ilic"),
    ("Zeynep Işık", "ZEYNEP IŞIK"),
])
def test_letters_without_a_decomposition_fold_to_ascii(name, text):
    matches = find_matches(text, [ProtectedName(7, name)])
    assert [m.protected for m in matches] == [7]


@pytest.mark.parametrize("text", [
    "Maria\nGonzalez", "Maria\r\nGonzalez", "Maria  \n  Gonzalez", "Maria\tGonzalez",
    "Maria\u00a0Gonzalez", "María   González",
])
def test_any_whitespace_between_words(text):
    assert found(f"said {text}, who") == [text]


@pytest.mark.parametrize(("name", "text"), [
    ("Ana Gómez-Ruiz", "Ana Gomez Ruiz"),
    ("Ana Gómez Ruiz", "Ana Gómez-Ruiz"),
    ("Ana Gómez-Ruiz", "Ana Gómez\u2013Ruiz"),
    ("Ana Gómez-Ruiz", "Ana Gómez -\nRuiz"),
    ("Ana Gómez-Ruiz", "ana-gomez-ruiz"),
])
def test_hyphens_and_spaces_are_interchangeable(name, text):
    assert found(f"({text})", ProtectedName(3, name)) == [text]


@pytest.mark.parametrize("text", ["Maria Gonzalez's", "María González’s", "Maria Gonzalez'"])
def test_possessives_match_without_the_suffix(text):
    matches = find_matches(f"It was {text} idea.", [MARIA])
    assert [m.text for m in matches] == [text.rstrip("'’s")]


MALENA = ProtectedName(3, "María Elena González", ("Malena",))

# How a name is written outside prose, and what it must not be confused with: the text, and
# what the matcher finds in it. Add a case here when a new way of writing a name turns up.
WRITTEN_OTHERWISE = [
    # hashtags and CamelCase
    ("Rally for #MariaGonzalez today", ["MariaGonzalez"]),
    ("#MaríaElenaGonzález", ["MaríaElenaGonzález"]),
    ("#FreeMariaGonzalez now", ["MariaGonzalez"]),
    ("#MariaGonzalezLibre", ["MariaGonzalez"]),
    ("#mariagonzalez", ["mariagonzalez"]),
    # a list or a byline: last name first, with a comma
    ("González, María Elena said", ["González, María Elena"]),
    ("Staff: Gonzalez, Maria; Diaz, Rosa", ["Gonzalez, Maria"]),
    # handles and e-mail addresses
    ("Follow @mariagonzalez.bsky.social", ["mariagonzalez"]),
    ("DM maria_gonzalez", ["maria_gonzalez"]),
    ("Write to maria.gonzalez@example.org", ["maria.gonzalez"]),
    # look-alike letters from other scripts (Cyrillic М, а; Greek ο)
    ("\u041caria Gonzalez spoke", ["\u041caria Gonzalez"]),
    ("M\u0430ri\u0430 G\u03bfnz\u0430lez", ["M\u0430ri\u0430 G\u03bfnz\u0430lez"]),
    # nearby names and words that are someone, or something, else
    ("María López spoke", []),
    ("They met on Gonzalez Street", []),
    ("Elena Gonzalez-Smith", []),
    ("mariagonzalezfan", []),
    ("supermariagonzalez", []),
    ("Maria. Gonzalez said", []),
    ("Мария Гонсалес", []),  # her name in Cyrillic letters is a different spelling
]


@pytest.mark.parametrize(("text", "expected"), WRITTEN_OTHERWISE,
                         ids=[text for text, _ in WRITTEN_OTHERWISE])
def test_names_written_as_tags_handles_bylines_and_look_alikes(text, expected):
    assert found(text, MALENA) == expected


def test_a_short_name_run_together_is_not_matched():
    """Two short names run together ("Ana Li": "anali") could be any word; from seven
    letters a name written as one word is matched."""
    assert found("#AnaLi and analist", ProtectedName(4, "Ana Li")) == []
    assert found("#RosaDiaz", ProtectedName(5, "Rosa Diaz")) == ["RosaDiaz"]


def test_whole_words_only():
    assert found("Banana, Anastasia, Dana, Ana2, Ana_b", ANA) == []
    assert found("Ana. (Ana) «Ana» ana-maria #Ana", ANA) == ["Ana", "Ana", "Ana", "ana", "Ana"]
    assert found("Marianne and Maritza met Mari", MARIA) == ["Mari"]


def test_aliases_and_nicknames_are_patterns():
    text = "Mari said so.\nAsk la\nflaca, or LA FLACA."
    assert found(text) == ["Mari", "la\nflaca", "LA FLACA"]
    assert {m.protected for m in find_matches(text, [MARIA])} == {1}


def test_a_long_name_also_matches_first_and_last_name():
    entry = ProtectedName(4, "María Elena González")
    assert found("María Elena González and maria\ngonzalez", entry) == [
        "María Elena González", "maria\ngonzalez"]
    assert found("Maria Elena, Elena Gonzalez", entry) == []


def test_scripts_without_spaces_match_inside_a_run():
    assert found("我和王伟说过。", ProtectedName(5, "王伟")) == ["王伟"]
    assert found("김민준은 왔다", ProtectedName(6, "김민준")) == ["김민준"]


def test_no_names_or_no_text_gives_no_matches():
    assert find_matches("María González", []) == []
    assert find_matches("", [MARIA]) == []


# --- offsets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [
    "👩🏽‍🔧 ",                      # emoji with a skin tone and a zero-width joiner
    "Jose\u0301 and Zoe\u0308 and ",  # combining marks, dropped by folding
    "Straße ﬁnal ½ ",                 # characters that fold to several
    "soft\u00adhyphen \u200b",        # invisible format characters
    "",
])
def test_offsets_point_into_the_original_text(prefix):
    text = f"{prefix}Mari\u0301a\nGonzález’s 🙂 Mari."
    matches = find_matches(text, [MARIA])
    assert [m.text for m in matches] == ["Mari\u0301a\nGonzález", "Mari"]
    for m in matches:
        assert text[m.start:m.end] == m.text
    assert matches[0].start == len(prefix)


def test_a_trailing_combining_accent_belongs_to_the_match():
    text = "Jose\u0301\u0300 came"
    (match,) = find_matches(text, [ProtectedName(8, "José")])
    assert match == Match(0, 6, "Jose\u0301\u0300", 8)


# --- overlaps --------------------------------------------------------------------------------


def test_overlapping_matches_keep_the_longest():
    ana_maria = ProtectedName(10, "Ana Maria")
    maria_g = ProtectedName(11, "Maria Gonzalez", ("Maria",))
    matches = find_matches("Ana Maria Gonzalez; Ana Maria; Maria.", [ana_maria, maria_g])
    assert [(m.text, m.protected) for m in matches] == [
        ("Maria Gonzalez", 11), ("Ana Maria", 10), ("Maria", 11)]


def test_a_name_inside_a_longer_protected_name_is_one_match():
    entries = [ProtectedName(12, "Gonzalez"), ProtectedName(13, "Maria Gonzalez Ruiz")]
    matches = find_matches("Maria Gonzalez Ruiz, Gonzalez", entries)
    assert [(m.text, m.protected) for m in matches] == [
        ("Maria Gonzalez Ruiz", 13), ("Gonzalez", 12)]


# --- spokespeople ----------------------------------------------------------------------------


def test_an_entry_named_like_a_spokesperson_is_skipped_with_its_aliases():
    assert found("María González, Mari", exempt=["maria  GONZALEZ"]) == []


def test_a_match_that_is_a_spokespersons_name_is_skipped():
    fired = ProtectedName(14, "Maria Elena Gonzalez")
    text = "Maria Gonzalez spoke. Maria Elena Gonzalez did not."
    assert found(text, fired) == ["Maria Gonzalez", "Maria Elena Gonzalez"]
    assert found(text, fired, exempt=["María González"]) == ["Maria Elena Gonzalez"]


def test_a_match_inside_a_spokespersons_name_is_skipped():
    entry = ProtectedName(15, "Maria Lopez")
    text = "Ana Maria Lopez spoke; Maria Lopez did not."
    assert found(text, entry, exempt=["Ana María López"]) == ["Maria Lopez"]
    assert find_matches(text, [entry], ["Ana María López"])[0].start == 23


def test_check_text_uses_the_list_and_the_roster(db, now):
    add_protected(db, EDITOR, "María González", ["Mari"], now=now)
    add_protected(db, EDITOR, "Pat Doe", now=now)
    text = "Pat Doe and Mari marched."
    assert [m.text for m in check_text(db, text)] == ["Pat Doe", "Mari"]
    add_spokesperson(db, EDITOR, {"name": "pat doe"}, now=now)
    assert [m.text for m in check_text(db, text)] == ["Mari"]


# --- the list --------------------------------------------------------------------------------


def test_add_list_and_remove(db, now):
    entry = add_protected(db, EDITOR, "  María   González ", ["  Mari ", "La  Flaca"], now=now)
    assert entry == ProtectedName(entry.id, "María González", ("Mari", "La Flaca"), "ed", now)
    other = add_protected(db, ADMIN, "Ana", now=now)
    assert list_protected(db, EDITOR) == [other, entry]
    with pytest.raises(PermissionDenied, match="removing a protected name needs approver"):
        remove_protected(db, EDITOR, "MARIA GONZALEZ", now=now)
    assert remove_protected(db, APPROVER, "MARIA GONZALEZ", now=now) == entry.id
    assert list_protected(db, EDITOR) == [other]
    with pytest.raises(NotFound, match="No entry on the protected list has that name"):
        remove_protected(db, APPROVER, "María González", now=now)


def test_adding_a_listed_name_merges_its_aliases(db, now):
    first = add_protected(db, EDITOR, "María González", ["Mari"], now=now)
    merged = add_protected(db, EDITOR, "maria gonzalez",
                           ["MARI", "La Flaca", "la flaca", "María-González", "Flaquita"],
                           now=now)
    assert merged.id == first.id and merged.name == "María González"
    assert merged.aliases == ("Mari", "La Flaca", "Flaquita")
    assert add_protected(db, EDITOR, "María González", ["mari"], now=now) == merged
    assert len(list_protected(db, EDITOR)) == 1


@pytest.mark.parametrize(("name", "aliases", "message"), [
    ("   ", [], "A protected name cannot be empty."),
    ("Ana", [" "], "A protected alias cannot be empty."),
    ("- '", [], "A protected name needs at least one letter or digit."),
    ("x" * 201, [], "A protected name can be at most 200 characters."),
])
def test_add_refuses_empty_or_unusable_names(db, now, name, aliases, message):
    with pytest.raises(InvalidInput) as raised:
        add_protected(db, EDITOR, name, aliases, now=now)
    assert str(raised.value) == message
    assert list_protected(db, EDITOR) == []


def test_viewers_cannot_read_or_change_the_list(db, now):
    entry = add_protected(db, EDITOR, "Pat Doe", now=now)
    with pytest.raises(PermissionDenied, match="vi has the viewer role; reading the protected"):
        list_protected(db, VIEWER)
    with pytest.raises(PermissionDenied):
        add_protected(db, VIEWER, "Sam Roe", now=now)
    with pytest.raises(PermissionDenied):
        remove_protected(db, VIEWER, "Pat Doe", now=now)
    assert list_protected(db, Actor("ap", "approver")) == [entry]


def test_audit_and_logs_never_hold_a_name(db, now, caplog):
    caplog.set_level(logging.DEBUG)
    entry = add_protected(db, EDITOR, "Zelda Quintero", ["Zee"], now=now)
    add_protected(db, EDITOR, "zelda quintero", ["Zq Nick", "Zee"], now=now)
    remove_protected(db, APPROVER, "Zelda Quintero", now=now)
    entries = audit.list_entries(db, ADMIN, entity="protected_name")
    assert [(e["action"], e["entity_id"], e["summary"]) for e in reversed(entries)] == [
        ("add", str(entry.id), "with 1 alias"),
        ("add_alias", str(entry.id), "added 1 alias, 2 in all"),
        ("delete", str(entry.id), ""),
    ]
    written = repr(audit.list_entries(db, ADMIN)).casefold() + caplog.text.casefold()
    for secret in ("zelda", "quintero", "zee", "zq nick"):
        assert secret not in written


# --- telling the writer ----------------------------------------------------------------------


def test_describe_matches_gives_lines():
    text = "Title\n\nWe thank Maria\nGonzalez.\nMari too."
    assert describe_matches(text, find_matches(text, [MARIA])) == [
        "lines 3-4: 'Maria\\nGonzalez'", "line 5: 'Mari'"]


def test_require_clean_names_the_place(db, now):
    add_protected(db, EDITOR, "María González", ["Mari"], now=now)
    require_clean(db, "A clean release about Maria's bakery.", "release")
    with pytest.raises(InvalidInput) as raised:
        require_clean(db, "Headline\n\nStatement\nby María González.", "release")
    assert str(raised.value) == ("This release names a protected member (line 4: "
                                 "'María González'); remove the name before submitting.")
    with pytest.raises(InvalidInput) as raised:
        require_clean(db, "Mari and\nMARIA GONZALEZ", "post")
    assert str(raised.value) == ("This post names protected members (line 1: 'Mari'; "
                                 "line 2: 'MARIA GONZALEZ'); remove the names before "
                                 "submitting.")


def test_highlight_marks_matches_and_escapes_everything_else():
    text = ("<script>alert('x')</script> & *bold* [a](javascript:x)\n"
            "  # María González <b>here</b>")
    html = highlight_markdown(text, find_matches(text, [MARIA]))
    assert html == (
        "&#60;script&#62;alert&#40;&#39;x&#39;&#41;&#60;&#47;script&#62; &#38; "
        "&#42;bold&#42; &#91;a&#93;&#40;javascript&#58;x&#41;<br>"
        "&nbsp;&nbsp;&#35; <mark>María González</mark> &#60;b&#62;here&#60;&#47;b&#62;")
    assert "<" not in html.replace("<br>", "").replace("<mark>", "").replace("</mark>", "")


def test_highlight_keeps_a_split_name_in_one_mark():
    text = "by Maria\r\nGonzalez"
    assert highlight_markdown(text, find_matches(text, [MARIA])) == (
        "by <mark>Maria<br>Gonzalez</mark>")
    assert highlight_markdown("no names", []) == "no names"


# --- properties ------------------------------------------------------------------------------

_NAMES = st.lists(
    st.builds(ProtectedName, id=st.integers(1, 5), name=st.text(min_size=1, max_size=20),
              aliases=st.lists(st.text(max_size=10), max_size=3).map(tuple)),
    max_size=4,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200), names=_NAMES, exempt=st.lists(st.text(max_size=15),
                                                                  max_size=2))
def test_matches_are_slices_of_the_original_in_order(text, names, exempt):
    matches = find_matches(text, names, exempt)
    for m in matches:
        assert 0 <= m.start < m.end <= len(text)
        assert m.text == text[m.start:m.end]
    for a, b in zip(matches, matches[1:], strict=False):
        assert a.end <= b.start
    highlight_markdown(text, matches)
    describe_matches(text, matches)


_LETTERS = st.characters(categories=["Lu", "Ll"])


@settings(max_examples=300, deadline=None)
@given(before=st.text(max_size=30), name=st.text(_LETTERS, min_size=1, max_size=12),
       after=st.text(max_size=30))
def test_a_name_set_apart_by_spaces_is_always_found(before, name, after):
    text = f"{before} {name} {after}"
    start = len(before) + 1
    matches = find_matches(text, [ProtectedName(9, name)])
    assert any(m.start <= start and start + len(name) <= m.end for m in matches)


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_store(app_env, store_url, monkeypatch):
    """Point the command line at an empty store on each backend."""
    monkeypatch.setenv("OUTREACH_DATABASE_URL", store_url)
    return store_url


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """`python -m outreach guard ...`: exit status, stdout, stderr."""
    code = main(["guard", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_add_list_check_remove(cli_store, capsys, tmp_path, monkeypatch):
    assert run(capsys, "list")[:2] == (0, "The protected list is empty.\n")
    code, out, _ = run(capsys, "add", "María González", "--alias", "Mari",
                       "--alias", "La Flaca")
    assert (code, out) == (0, "Protected entry 1 has 2 aliases.\n")
    assert run(capsys, "add", "maria gonzalez", "--alias", "Flaquita")[:2] == (
        0, "Protected entry 1 has 3 aliases.\n")
    assert run(capsys, "list")[1] == (
        "   1  María González  (also: Mari, La Flaca, Flaquita)\n")

    draft = tmp_path / "draft.txt"
    draft.write_text("Headline\nQuote from Maria\nGonzalez.\n", encoding="utf-8")
    assert run(capsys, "check", str(draft))[:2] == (1, "lines 2-3: 'Maria\\nGonzalez'\n")
    monkeypatch.setattr(sys, "stdin", io.StringIO("Nobody here.\n"))
    assert run(capsys, "check", "-")[:2] == (0, "No protected names found.\n")
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\nby la flaca"))
    assert run(capsys, "check", "-")[:2] == (1, "line 2: 'la flaca'\n")

    assert run(capsys, "remove", "MARÍA GONZÁLEZ")[:2] == (
        0, "Removed protected entry 1.\n")
    assert run(capsys, "check", str(draft))[:2] == (0, "No protected names found.\n")


def test_cli_errors_exit_1(cli_store, capsys, tmp_path):
    assert run(capsys, "add", "  ") == (
        1, "", "error: A protected name cannot be empty.\n")
    assert run(capsys, "remove", "Nobody") == (
        1, "", "error: No entry on the protected list has that name.\n")
    code, _, err = run(capsys, "check", str(tmp_path / "missing.txt"))
    assert code == 1 and err.startswith("error: Cannot read ")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("María".encode("latin-1"))
    assert run(capsys, "check", str(latin1)) == (
        1, "", f"error: {latin1} is not UTF-8 text; save it as UTF-8 and check again.\n")


@pytest.mark.parametrize(("argv", "options"), [
    (["guard"], ["add", "list", "remove", "check"]),
    (["guard", "add"], ["NAME", "--alias A"]),
    (["guard", "check"], ["FILE", "stdin", "Exits 1"]),
], ids=" ".join)
def test_cli_guard_commands_have_help(capsys, argv, options):
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: python -m outreach " + " ".join(argv))
    for option in options:
        assert option in text
