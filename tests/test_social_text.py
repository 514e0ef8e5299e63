"""Counting, threads and Bluesky facets (outreach.social.text), and `social count|split`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twitter_text import extract_urls_with_indices

from outreach.cli import main
from outreach.errors import InvalidInput
from outreach.social import text as social
from outreach.social.text import (
    BLUESKY_MAX_BYTES,
    BLUESKY_MAX_GRAPHEMES,
    X_MAX_WEIGHT,
    Count,
    bluesky_display_text,
    bluesky_facets,
    bluesky_length,
    bluesky_richtext,
    count,
    first_link,
    fits,
    graphemes,
    mentions,
    split_thread,
    x_weight,
)

CONFORMANCE = Path(__file__).parent / "data" / "social" / "twitter_text_v3.json"
FAMILY = "👨‍👩‍👧‍👦"  # 7 code points, 25 bytes, 1 grapheme
DIDS = {"local101.bsky.social": "did:plc:local101", "press.example.org": "did:web:press"}


def resolve(handle: str) -> str | None:
    return DIDS.get(handle)


def piece(text: str, facet: dict) -> str:
    """The text a facet covers, decoded from its UTF-8 byte offsets."""
    index = facet["index"]
    return text.encode("utf-8")[index["byteStart"]:index["byteEnd"]].decode("utf-8")


def feature(facet: dict) -> dict:
    assert len(facet["features"]) == 1
    return facet["features"][0]


# --- graphemes and Bluesky's limits ----------------------------------------------------------


@pytest.mark.parametrize("cluster", [
    "👍🏽",  # skin tone
    "🇺🇸",  # flag
    FAMILY,  # ZWJ family
    "👩🏽‍⚕️",  # ZWJ with skin tone and variation selector
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿",  # tag sequence (Scotland)
    "1️⃣",  # keycap
    "e\u0301",  # combining acute
    "n\u0303\u0323",  # two combining marks
    "\u1100\u1161",  # Hangul jamo
])
def test_one_grapheme_each(cluster):
    assert graphemes(cluster) == 1
    assert bluesky_length(cluster * 300) == 300
    assert count(cluster * 300, "bluesky").unit in ("graphemes", "bytes")


def test_300_graphemes_fit_and_301_do_not():
    assert count("a" * 300, "bluesky") == Count(300, BLUESKY_MAX_GRAPHEMES, True, "graphemes")
    assert count("a" * 301, "bluesky") == Count(301, BLUESKY_MAX_GRAPHEMES, False, "graphemes")
    accented = "Mari\u0301a "  # combining accents are not counted twice
    assert count(accented * 50, "bluesky").used == 300
    assert fits(accented * 50, "bluesky")
    assert not fits(accented * 50 + "!", "bluesky")


def test_the_3000_byte_limit_binds_with_multibyte_graphemes():
    assert len((FAMILY * 120).encode()) == BLUESKY_MAX_BYTES
    assert count(FAMILY * 120, "bluesky") == Count(120, 300, True, "graphemes")
    # 121 graphemes are well under 300, but 3025 bytes are over 3000: the count says bytes
    assert count(FAMILY * 121, "bluesky") == Count(3025, BLUESKY_MAX_BYTES, False, "bytes")
    assert count(FAMILY * 301, "bluesky") == Count(301, 300, False, "graphemes")


# --- links as Bluesky shows them --------------------------------------------------------------


@pytest.mark.parametrize(("link", "shown"), [
    ("https://www.example.org/news/2026/11/strike-vote-results?ref=home",
     "www.example.org/news/2026/11..."),
    ("https://example.org/abcdefghijklmn", "example.org/abcdefghijklmn"),  # tail of 15: kept
    ("https://example.org/abcdefghijklmno", "example.org/abcdefghijkl..."),  # 16: cut
    ("https://example.org/", "example.org"),
    ("https://example.org", "example.org"),
    ("http://Example.ORG/About", "example.org/About"),
    ("https://example.org/?q=1", "example.org?q=1"),
    ("https://example.org/a#b", "example.org/a#b"),
    ("http://example.org:80/a", "example.org/a"),
    ("https://example.org:8443/a", "example.org:8443/a"),
    ("https://example.org/café", "example.org/caf%C3%A9"),  # as a browser encodes the path
    ("https://bücher.de/x", "xn--bcher-kva.de/x"),
    ("example.org/a/path/longer/than/fifteen", "example.org/a/path/longer/than/fifteen"),
])
def test_links_are_shown_shortened_like_the_official_app(link, shown):
    text = f"Read {link} now"
    assert bluesky_display_text(text) == f"Read {shown} now"
    assert bluesky_length(text) == graphemes(f"Read {shown} now")


def test_a_long_link_counts_as_shown_not_as_written():
    link = "https://union.example.org/news/2026/11/strike-vote-results-and-next-steps" + "x" * 200
    text = "a" * 250 + " " + link
    assert len(text) > 500
    assert bluesky_length(text) == 250 + 1 + len("union.example.org/news/2026/11...")
    assert fits(text, "bluesky")
    # the facet keeps the full URL
    record_text, facets = bluesky_richtext(text, resolve)
    assert record_text == bluesky_display_text(text)
    assert feature(facets[0]) == {"$type": social.LINK, "uri": link}
    assert piece(record_text, facets[0]) == "union.example.org/news/2026/11..."


# --- X ------------------------------------------------------------------------------------------


def conformance_cases():
    cases = json.loads(CONFORMANCE.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case, id=case["description"]) for case in cases]


@pytest.mark.parametrize("case", conformance_cases())
def test_x_weight_matches_twitter_text_v3(case):
    text = case.get("text") or "".join(part * times for part, times in case["parts"])
    assert x_weight(text) == case["expected"]["weightedLength"]
    assert fits(text, "x") is case["expected"]["valid"]
    counted = count(text, "x")
    assert (counted.used, counted.limit, counted.unit) == (
        case["expected"]["weightedLength"], X_MAX_WEIGHT, "weighted characters")


def test_every_url_weighs_23_whatever_its_length():
    for path in ("", "a", "a" * 50, "a" * 500):
        assert x_weight(f"https://example.org/{path}") == social.X_URL_WEIGHT
    assert x_weight("vote https://example.org/a and example.com/b") == 5 + 23 + 5 + 23


def test_unknown_platform_is_refused():
    with pytest.raises(InvalidInput, match="mastodon"):
        count("hello", "mastodon")
    with pytest.raises(InvalidInput):
        split_thread("hello", "mastodon")


# --- facets -----------------------------------------------------------------------------------

TEXT = ("¡Huelga! 🚨 Café workers 👩🏽‍⚕️ strike — see https://example.org/strike?x=1. "
        "Ask @Local101.bsky.social or @nobody.example.com, or read example.org/faq! "
        "#HuelgaYa! #2026 #Sí ¿Listos? (https://example.org/a_(b)).")


def test_facets_carry_utf8_byte_offsets_over_emoji_and_accents():
    facets = bluesky_facets(TEXT, resolve)
    assert [(piece(TEXT, f), feature(f)) for f in facets] == [
        ("https://example.org/strike?x=1",
         {"$type": social.LINK, "uri": "https://example.org/strike?x=1"}),
        ("@Local101.bsky.social", {"$type": social.MENTION, "did": "did:plc:local101"}),
        ("example.org/faq", {"$type": social.LINK, "uri": "https://example.org/faq"}),
        ("#HuelgaYa", {"$type": social.TAG, "tag": "HuelgaYa"}),
        ("#Sí", {"$type": social.TAG, "tag": "Sí"}),
        ("https://example.org/a_(b)", {"$type": social.LINK, "uri": "https://example.org/a_(b)"}),
    ]
    # byte offsets, not code point offsets: the emoji and accents come before the first link
    assert facets[0]["index"]["byteStart"] == len(TEXT[:TEXT.index("https")].encode())
    assert facets[0]["index"]["byteStart"] > TEXT.index("https")


def test_mentions_are_resolved_once_and_unresolvable_ones_get_no_facet():
    asked = []

    def counting_resolve(handle):
        asked.append(handle)
        return resolve(handle)

    text = "@press.example.org and @PRESS.example.org, not @nobody.example.com"
    facets = bluesky_facets(text, counting_resolve)
    assert [feature(f) for f in facets] == [{"$type": social.MENTION, "did": "did:web:press"}] * 2
    assert sorted(asked) == ["nobody.example.com", "press.example.org"]
    assert mentions(text) == ["press.example.org", "nobody.example.com"]
    assert mentions(TEXT) == ["local101.bsky.social", "nobody.example.com"]


def test_hashtags_follow_bluesky_rules():
    tags = lambda text: [feature(f)["tag"] for f in bluesky_facets(text, resolve)]  # noqa: E731
    assert tags("#2026 #1u #union_strong… #ok.") == ["1u", "union_strong", "ok"]
    assert tags("#" + "e\u0301" * 64) == ["e\u0301" * 64]  # 64 graphemes, 128 code points
    assert tags("#" + "e\u0301" * 65) == []
    scotland = "🏴󠁧󠁢󠁳󠁣󠁴󠁿"  # one grapheme of 28 bytes
    assert tags("#" + scotland * 22) == [scotland * 22]  # 616 bytes
    assert tags("#" + scotland * 23) == []  # 644 bytes: over 640
    assert tags("mid#word") == []


def test_link_detection():
    assert first_link("no links here, just example.nonsense") is None
    assert first_link("see www.example.com/a, then https://example.org") == (
        "https://www.example.com/a")
    assert first_link("(read example.org/a_(b)).") == "https://example.org/a_(b)"
    assert first_link("Really? https://example.org/x?!...") == "https://example.org/x"
    assert first_link("“https://example.org/q”") is None  # a quote before: not a link start
    assert first_link("say “ https://example.org/q”") == "https://example.org/q"


def test_richtext_offsets_follow_the_shortened_links():
    link = "https://union.example.org/news/2026/11/strike-vote-results"
    text = f"Café 🚨 {link} — @local101.bsky.social #Huelga"
    record_text, facets = bluesky_richtext(text, resolve)
    assert record_text == (
        "Café 🚨 union.example.org/news/2026/11... — @local101.bsky.social #Huelga")
    assert [piece(record_text, f) for f in facets] == [
        "union.example.org/news/2026/11...", "@local101.bsky.social", "#Huelga"]
    assert feature(facets[0])["uri"] == link
    assert count(text, "bluesky").used == graphemes(record_text)


FACET_WORDS = st.sampled_from([
    "union", "Café", "e\u0301", "🚨", FAMILY, "🇺🇸", "#Huelga", "#2026", "#Sí!", "#a#b",
    "@local101.bsky.social", "@press.example.org.", "@nobody.example.com", "(@x.test)",
    "example.org", "example.org/a_(b)).", "https://example.org/x?y=1#z", "(https://a.example/b)",
    "https://", "http://.", "$AMZN", "#", "@", "www.example.com,", "日本語。",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(FACET_WORDS, st.sampled_from([" ", "\n", "", "  "])), max_size=30))
def test_facets_never_overlap_and_cover_what_they_claim(pairs):
    text = "".join(word + gap for word, gap in pairs)
    for shorten in (False, True):
        shown, facets = bluesky_richtext(text, resolve) if shorten else (
            text, bluesky_facets(text, resolve))
        previous_end = 0
        for facet in facets:
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            assert previous_end <= start < end
            previous_end = end
            covered, feat = piece(shown, facet), feature(facet)  # decodes: on char boundaries
            if feat["$type"] == social.TAG:
                # a hashtag covers "#" and its tag; a cashtag's tag is all it covers
                assert covered in ("#" + feat["tag"], "＃" + feat["tag"]) or (
                    covered == feat["tag"] and covered.startswith("$"))
            elif feat["$type"] == social.MENTION:
                assert DIDS[covered[1:].lower()] == feat["did"]
            elif not shorten:
                assert feat["uri"] in (covered, "https://" + covered)


# --- threads ----------------------------------------------------------------------------------


def locate(parts: list[str], text: str) -> list[tuple[int, int]]:
    """The (start, end) of each part in `text`, asserting the split invariant.

    Each part is a non-empty slice of `text` without surrounding whitespace; the slices
    are in order; what lies before, between and after them is whitespace only (empty
    where an overlong word was cut).
    """
    spans, position = [], 0
    for part in parts:
        assert part and part == part.strip()
        start = len(text) - len(text[position:].lstrip())
        assert text.startswith(part, start), (part, text[start:start + len(part)])
        spans.append((start, start + len(part)))
        position = start + len(part)
    assert text[position:].strip() == ""
    return spans


def unnumbered(parts: list[str]) -> list[str]:
    """The parts without their " i/n", asserting the numbering is right."""
    if len(parts) == 1:
        return parts
    stripped = []
    for i, part in enumerate(parts, 1):
        suffix = f" {i}/{len(parts)}"
        assert part.endswith(suffix)
        stripped.append(part.removesuffix(suffix))
    return stripped


def link_spans(text: str, platform: str) -> list[tuple[int, int]]:
    if platform == "x":
        return [tuple(found["indices"]) for found in extract_urls_with_indices(text)]
    encoded = text.encode("utf-8")
    offset = lambda b: len(encoded[:b].decode("utf-8"))  # noqa: E731
    return [(offset(f["index"]["byteStart"]), offset(f["index"]["byteEnd"]))
            for f in bluesky_facets(text, resolve) if feature(f)["$type"] == social.LINK]


def check_thread(text: str, platform: str, number: bool) -> list[str]:
    parts = split_thread(text, platform, number=number)
    for part in parts:
        assert fits(part, platform), count(part, platform)
    plain = unnumbered(parts) if number else parts
    spans = locate(plain, text)
    assert "".join("".join(plain).split()) == "".join(text.split())
    for start, end in link_spans(text, platform):
        assert any(a <= start and end <= b for a, b in spans), text[start:end]
    if not number:
        assert (len(parts) == 1) == fits(text.strip(), platform) or not text.strip()
    return parts


def test_text_that_fits_is_one_unnumbered_part():
    assert split_thread("  Strike vote tonight.\n", "bluesky") == ["Strike vote tonight."]
    assert split_thread("Strike vote tonight.", "x", number=True) == ["Strike vote tonight."]
    assert split_thread(" \n\t ", "x") == []


def test_parts_break_at_sentence_ends_first():
    first = "We voted to strike. " * 7  # 140 characters
    text = first + "Bargaining resumes Monday at ten. " * 6
    parts = check_thread(text, "x", number=False)
    assert len(parts) == 2
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts).split() == text.split()


def test_a_long_sentence_breaks_between_words():
    text = " ".join(f"word{i}" for i in range(200)) + "."
    parts = check_thread(text, "bluesky", number=False)
    assert len(parts) > 1
    assert " ".join(parts).split() == text.split()  # no word was cut


def test_paragraphs_and_line_breaks_are_kept_inside_parts():
    text = "Day 3 of the strike.\n\nPicket lines at 6am.\nBring water!"
    assert split_thread(text, "x") == [text]
    long_text = (text + "\n\n") * 12
    parts = check_thread(long_text, "x", number=False)
    assert all("\n" in p for p in parts)


def test_an_overlong_word_is_cut_between_graphemes():
    parts = check_thread("a" * 700, "x", number=False)
    assert [len(p) for p in parts] == [280, 280, 140]
    # 400 families are 10,000 bytes: at most 120 (3000 bytes) to a part, none cut apart;
    # the word before ends a part of its own, as a word boundary comes before a grapheme one
    parts = check_thread("Solidarity " + FAMILY * 400, "bluesky", number=False)
    assert parts == ["Solidarity"] + [FAMILY * 120] * 3 + [FAMILY * 40]


def test_text_without_spaces_breaks_after_a_full_stop():
    text = "組合員は賛成しました。" * 30  # 330 CJK characters, 660 weighted
    parts = check_thread(text, "x", number=False)
    assert all(p.endswith("。") for p in parts)


def test_links_are_never_split():
    link = "https://union.example.org/" + "strike-vote-" * 40
    text = "word " * 270 + link + " and more words after it."
    for platform in ("x", "bluesky"):
        parts = check_thread(text, platform, number=True)
        assert sum(link in p for p in parts) == 1


def test_a_link_that_cannot_fit_alone_is_refused():
    # without a scheme the app shows it in full, so it can never fit in 300 graphemes
    link = "example.org/" + "a" * 400
    with pytest.raises(InvalidInput, match="never split"):
        split_thread(f"Read {link} today", "bluesky")
    assert check_thread(f"Read {link} today", "x", number=False) == [f"Read {link} today"]


def test_numbering_is_counted_and_can_change_the_number_of_parts():
    text = "a" * (280 * 9)
    assert len(split_thread(text, "x")) == 9
    parts = check_thread(text, "x", number=True)
    # " 1/9" would leave 276 per part and need a tenth part, so n is 10 throughout
    assert len(parts) == 10
    assert parts[0] == "a" * 275 + " 1/10"
    assert parts[-1].endswith(" 10/10")
    assert all(x_weight(p) <= X_MAX_WEIGHT for p in parts)


def test_a_domain_then_unspaced_text_is_not_one_long_link():
    # Japanese runs on without spaces: the SDK would take "example.org。" and everything
    # after it for one host no DNS name can be, which could never be shortened or split.
    text = "詳しくは example.org。" + "あ" * 330
    assert bluesky_facets(text, lambda handle: None) == []
    parts = split_thread(text, "bluesky")
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")
    assert all(bluesky_length(p) <= BLUESKY_MAX_GRAPHEMES for p in parts)


TOKENS = st.one_of(
    st.sampled_from(["union", "strike", "Local", "101", "vote", "café", "naïve", "e\u0301",
                     "日本語", "👩🏽‍⚕️", FAMILY, "🇺🇸", "#UnionStrong", "@local101.bsky.social",
                     "(see", "it)", "—", "example.org", "www.example.com/join"]),
    st.builds("https://{}/{}".format,
              st.sampled_from(["example.org", "www.union.example.org", "bücher.de"]),
              st.text(alphabet="abcxyz-_/?=&%é", max_size=150)),
    st.text(alphabet="abc日😀é", min_size=1, max_size=30),
    st.text(alphabet="abcxyz日👨‍👩‍👧‍👦", min_size=200, max_size=700),
)
GAPS = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", ". ", "! ", "? ", ", ", "。", "\t"])
TEXTS = st.lists(st.tuples(TOKENS, GAPS), max_size=80).map(
    lambda pairs: "".join(token + gap for token, gap in pairs))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.sampled_from(["bluesky", "x"]), st.booleans())
def test_threads_fit_keep_every_word_in_order_and_are_numbered(text, platform, number):
    check_thread(text, platform, number)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40) | st.text(min_size=300, max_size=1500),
       st.sampled_from(["bluesky", "x"]), st.booleans())
def test_any_text_splits_into_parts_that_fit(text, platform, number):
    check_thread(text, platform, number)


# --- command line -----------------------------------------------------------------------------


@pytest.fixture
def run(app_env, capsys, monkeypatch):
    """Run `python -m outreach social ...`; return (exit code, stdout, stderr)."""
    def run(*argv: str, stdin: str = ""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["social", *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_cli_count(run):
    assert run("count", "--platform", "bluesky", "a" * 287) == (
        0, "bluesky: 287 / 300 graphemes — fits\n", "")
    assert run("count", "--platform", "bluesky", "a" * 301) == (
        1, "bluesky: 301 / 300 graphemes — too long by 1 graphemes\n", "")
    assert run("count", "--platform", "x", "日" * 141) == (
        1, "x: 282 / 280 weighted characters — too long by 2 weighted characters\n", "")
    assert run("count", "--platform", "x", "-", stdin="Strike vote https://example.org/a\n") == (
        0, "x: 35 / 280 weighted characters — fits\n", "")


def test_cli_split(run):
    text = "We voted to strike. " * 10 + "Bargaining resumes Monday. " * 10
    code, out, err = run("split", "--platform", "x", "--number", text)
    parts = split_thread(text, "x", number=True)
    assert (code, err) == (0, "")
    assert out == "\n".join(
        f"[{i}/{len(parts)}] {x_weight(p)} / 280 weighted characters\n{p}\n"
        for i, p in enumerate(parts, 1))
    assert out.startswith("[1/2] ")


def test_cli_split_errors(run):
    assert run("split", "--platform", "x", "  ") == (
        1, "", "error: The text is empty; there is nothing to split.\n")
    code, out, err = run("split", "--platform", "bluesky", "example.org/" + "a" * 400)
    assert code == 1 and "never split" in err
    with pytest.raises(SystemExit):
        run("count", "--platform", "mastodon", "hello")
