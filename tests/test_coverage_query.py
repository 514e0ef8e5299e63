"""The coverage query language: parsing, matching, errors, and storing a campaign's query."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outreach import campaigns
from outreach.auth.audit import list_entries
from outreach.coverage.query import MAX_DEPTH, Query, compile_query, normalize, normalize_item
from outreach.errors import InvalidInput, NotFound, PermissionDenied
from outreach.roles import Actor

ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
VIEWER = Actor("vi", "viewer")

QUERY_PIECES = ["a", "b", "é", " ", "(", ")", '"', "“", "-", "*", "&", "AND", "OR", "NOT", "or"]
ACME = '"Acme Logistics" AND (union OR strike OR Teamsters) NOT "Acme Insurance"'


def matches(query: str, text: str) -> tuple[str, ...] | None:
    return compile_query(query).match(normalize(text))


# Normalisation ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("ACME   Logistics,", " acme logistics "),
        ("Trabajadóres — ¡Sindicato!", " trabajadores sindicato "),
        ("Straße ﬁnal ①", " strasse final 1 "),
        ("snake_case/AT&T", " snake case at t "),
        ("", " "),
        ("?!", " "),
    ],
)
def test_normalize_drops_case_accents_and_punctuation(text, normalized):
    assert normalize(text) == normalized


def test_normalize_item_keeps_fields_apart():
    text = normalize_item("Strike at Acme", "Logistics workers walk out")
    assert compile_query("acme").match(text) == ("acme",)
    assert compile_query('"Acme Logistics"').match(text) is None
    assert compile_query('"Acme Logistics"').match_item("Acme", "Logistics") is None


# Terms --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "text", "found"),
    [
        ("union", "The union voted", ("union",)),
        ("union", "A family reunion", None),
        ("union", "Unionized shops", None),
        ("Union", "UNION HALL", ("Union",)),
        ('"Acme Logistics"', "said ACME   logistics, a shipper", ("Acme Logistics",)),
        ('"Acme Logistics"', "Acme's logistics", None),
        ('"Sindicato de Trabajadores"', "el sindicato de trabajadóres", (
            "Sindicato de Trabajadores",)),
        ("trabajadóres", "Sindicato de TRABAJADORES", ("trabajadóres",)),
        ("organi*", "Organizing drive", ("organi*",)),
        ("organi*", "They organise", ("organi*",)),
        ("organi*", "reorganization plan", None),
        ("co-op*", "the Co-Operative", ("co-op*",)),
        ("AT&T", "workers at AT-T", ("AT&T",)),
        ('"and"', "bread and roses", ("and",)),
        ('"NOT"', "not now", ("NOT",)),
        ("“Acme Logistics”", "Acme Logistics", ("Acme Logistics",)),
        ("Local 101", "Teamsters Local 101 struck", ("Local", "101")),
    ],
)
def test_terms_match_whole_words(query, text, found):
    assert matches(query, text) == found


# Operators ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "text", "found"),
    [
        # Juxtaposition is AND.
        ("acme strike", "Acme strike ends", ("acme", "strike")),
        ("acme strike", "Acme contract", None),
        # AND binds tighter than OR: a OR (b AND c).
        ("a OR b AND c", "b", None),
        ("a OR b AND c", "a", ("a",)),
        ("a OR b AND c", "c b", ("b", "c")),
        ("(a OR b) AND c", "a", None),
        ("(a OR b) AND c", "a c", ("a", "c")),
        # NOT binds tighter than AND; a NOT b is a AND NOT b.
        ("a NOT b", "a", ("a",)),
        ("a NOT b", "a b", None),
        ("a NOT b OR c", "a b c", ("c",)),
        ("a -b", "a b", None),
        ("a -(b OR c)", "a c", None),
        ("a -(b OR c)", "a d", ("a",)),
        ("a AND NOT (b AND c)", "a b", ("a",)),
        ("a AND NOT (b AND c)", "a b c", None),
        # Keywords in any case.
        ("a and b", "a b", ("a", "b")),
        ("a or b", "b", ("b",)),
        ("a not b", "a b", None),
        # Double negation and De Morgan keep the positive terms as found terms.
        ("NOT NOT a", "a", ("a",)),
        ("NOT (NOT a OR NOT b)", "a b", ("a", "b")),
        ("NOT (NOT a OR NOT b)", "a", None),
        # Deep nesting.
        ("((a AND (b OR (c AND d))) OR e) f", "a c d f", ("a", "c", "d", "f")),
        ("((a AND (b OR (c AND d))) OR e) f", "a c f", None),
    ],
)
def test_operator_precedence_and_grouping(query, text, found):
    assert matches(query, text) == found


def test_match_reports_the_terms_that_made_it_match_in_query_order():
    query = compile_query(ACME)
    text = normalize("Teamsters say ACME Logistics workers may strike")
    assert query.match(text) == ("Acme Logistics", "strike", "Teamsters")
    assert query.match(normalize("Acme Logistics and Acme Insurance: a strike")) is None
    assert query.match(normalize("Acme Logistics quarterly results")) is None


def test_terms_in_a_branch_that_failed_are_not_reported():
    assert matches("(a AND b) OR c", "a c") == ("c",)
    assert matches("union OR UNION OR strike", "Union strike") == ("union", "strike")


def test_match_item_joins_title_summary_and_content():
    query = compile_query("acme strike")
    assert query.match_item("Acme news", "", "Workers STRIKE") == ("acme", "strike")
    assert query.match_item("Acme news", "nothing") is None


def test_query_is_immutable_and_keeps_its_source():
    query = compile_query(ACME)
    assert isinstance(query, Query)
    assert query.text == ACME
    assert query.terms == ("Acme Logistics", "union", "strike", "Teamsters", "Acme Insurance")
    with pytest.raises(AttributeError):
        query.text = "other"  # type: ignore[misc]


# Errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Empty query at position 1"),
        ("   ", "Empty query at position 1"),
        ('acme "Acme Logistics', "Unclosed quote opened at position 6"),
        ('"Acme Logistics" AND (union OR strike', "Unclosed parenthesis opened at position 22"),
        ("((a)", "Unclosed parenthesis opened at position 1"),
        ("a (", "Unclosed parenthesis opened at position 3"),
        ("a) OR b", "Unmatched closing parenthesis at position 2"),
        (") a", "Unmatched closing parenthesis at position 1"),
        ('"Acme Logistics" AND union AND', "Expected a term after AND at position 28"),
        ("AND union", "Expected a term before AND at position 1"),
        ("union OR", "Expected a term after OR at position 7"),
        ("union OR OR strike", "Expected a term after OR at position 7"),
        ("union AND OR strike", "Expected a term after AND at position 7"),
        ("(union AND) strike", "Expected a term after AND at position 8"),
        ("acme (OR strike)", "Expected a term before OR at position 7"),
        ("acme NOT", "Expected a term after NOT at position 6"),
        ("acme -", "Expected a term after - at position 6"),
        ("acme - strike", "Expected a term after - at position 6"),
        ('acme ""', 'Empty phrase "" at position 6'),
        ('acme "  "', 'Empty phrase "" at position 6'),
        ("acme ()", "Empty parentheses at position 6"),
        ("NOT acme", r"only says what to leave out \(NOT at position 1\)"),
        ("-acme", r"only says what to leave out \(- at position 1\)"),
        ("acme OR NOT strike", r"only says what to leave out \(NOT at position 9\)"),
        ("NOT (acme AND NOT strike)", r"\(NOT at position 1\)"),
        ("acme &", "The term '&' at position 6 has no letters or digits"),
        ('acme "?!"', "The phrase '\\?!' at position 6 has no letters or digits"),
        ("acme *", "The term '\\*' at position 6 has no letters or digits"),
        ("acme or*gan", r"A \* may only end a word \(position 8\)"),
        ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
         f"nested more than {MAX_DEPTH} deep at position {MAX_DEPTH + 1}"),
    ],
)
def test_malformed_queries_say_where(query, message):
    with pytest.raises(InvalidInput, match=message):
        compile_query(query)


def test_every_error_names_a_position_inside_or_just_after_the_query():
    for query in ["a AND", "(a", "a)", '"a', "NOT a", "a ()", 'a ""']:
        with pytest.raises(InvalidInput) as caught:
            compile_query(query)
        position = int(re.search(r"position (\d+)", str(caught.value)).group(1))
        assert 1 <= position <= len(query) + 1


def test_a_long_chain_of_nots_is_fine():
    assert matches("NOT " * 1000 + "a", "a") == ("a",)
    with pytest.raises(InvalidInput, match="only says what to leave out"):
        compile_query("NOT " * 999 + "a")


def test_an_overlong_query_is_refused():
    with pytest.raises(InvalidInput, match="characters long"):
        compile_query("a " * 5000)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(QUERY_PIECES), max_size=30).map("".join) | st.text(max_size=60))
def test_any_text_compiles_or_is_refused_plainly(text):
    try:
        query = compile_query(text)
    except InvalidInput as exc:
        assert "position" in str(exc)
        return
    found = query.match(normalize(text))
    assert found is None or (found and set(found) <= set(query.terms))


# Storing a campaign's query -----------------------------------------------------------------

def test_set_query_stores_and_clears(db, now):
    c = campaigns.create_campaign(db, ADMIN, "Acme drive", now=now, timezone="UTC")
    assert c.query == ""
    assert (c.news_language, c.news_country) == ("en-US", "US")
    campaigns.set_query(db, EDITOR, c.id, f"  {ACME} ", now=now)
    assert campaigns.get_campaign(db, c.id).query == ACME
    assert campaigns.find_campaign(db, "Acme drive").query == ACME
    campaigns.set_query(db, EDITOR, c.id, "   ", now=now)
    assert campaigns.get_campaign(db, c.id).query == ""
    log = list_entries(db, ADMIN, entity="campaign")
    assert [(e["action"], e["summary"]) for e in log if e["action"] == "set_query"] == [
        ("set_query", "query cleared"), ("set_query", ACME),
    ]


def test_set_query_refuses_a_malformed_query_and_writes_nothing(db, now):
    c = campaigns.create_campaign(db, ADMIN, "Acme drive", now=now, timezone="UTC")
    campaigns.set_query(db, EDITOR, c.id, "acme strike", now=now)
    with pytest.raises(InvalidInput, match="Expected a term after AND at position 8"):
        campaigns.set_query(db, EDITOR, c.id, "  acme AND", now=now)
    assert campaigns.get_campaign(db, c.id).query == "acme strike"
    actions = [e["action"] for e in list_entries(db, ADMIN, entity="campaign")]
    assert actions.count("set_query") == 1


def test_set_query_is_for_editors_and_known_campaigns(db, now):
    c = campaigns.create_campaign(db, ADMIN, "Acme drive", now=now, timezone="UTC")
    with pytest.raises(PermissionDenied, match="editor or above"):
        campaigns.set_query(db, VIEWER, c.id, "acme", now=now)
    with pytest.raises(NotFound, match="No campaign with id"):
        campaigns.set_query(db, EDITOR, c.id + 100, "acme", now=now)
    assert campaigns.get_campaign(db, c.id).query == ""
    actions = [e["action"] for e in list_entries(db, ADMIN, entity="campaign")]
    assert "set_query" not in actions
