import pickle
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from medborg.rules.feel import (
    FeelError,
    InputTypeError,
    coerce,
    format_value,
    parse_literal,
    parse_unary_tests,
    to_json,
)


def outcomes(text, pairs):
    """Pair each input of ``pairs`` with whether ``text`` matches it."""
    tests = parse_unary_tests(text)
    return [(value, tests.matches(value)) for value, _ in pairs]


def refusal(parse, text):
    with pytest.raises(FeelError) as caught:
        parse(text)
    return caught.value


# Examples of the DMN standard and of the DMN TCK: text, [(input, matches), ...].
PUBLISHED = [
    # DMN 1.1 §10.3.2.8: the first decision table of Table 26 ("Applicant Risk
    # Rating") written out as unary tests.
    (">60", [(D(60), False), (D(61), True)]),
    ("[25..60]", [(D(24), False), (D(25), True), (D(60), True), (D(61), False)]),
    ("<25", [(D(24), True), (D(25), False)]),
    ('"good"', [("good", True), ("bad", False)]),
    ("-", [("bad", True)]),
    # DMN 1.5 §10.3.2.7: its examples of valid ranges, and Table 42 (which
    # endpoints a range includes).
    ("[1..10]", [(D(1), True), (D(10), True)]),
    ("(1..10]", [(D(1), False), (D(10), True)]),
    ("<= 10", [(D(10), True), (D(11), False)]),
    ("> 1", [(D(1), False), (D(2), True)]),
    ("< 10", [(D("9.99"), True)]),
    ('>= date("2019-03-31")', [(date(2019, 3, 31), True), (date(2019, 3, 30), False)]),
    ("[ 5 .. 10 ]", [(D(5), True)]),
    # DMN 1.5 §10.3.2.2 ("1" = 1 is null), §10.3.2.10 (not(t) holds when
    # "e in (t)" is false), Table 53 (number equality ignores precision) and
    # Table 54 (strings compare lexicographically).
    ('"1"', [(D(1), False)]),
    ('not("1")', [(D(1), False)]),
    ('not("A", "B")', [("B", False), ("C", True)]),
    ("1.0", [(D(1), True)]),
    ('< "b"', [("ab", True), ("b", False), ("ba", False)]),
    # dmn-tck/tck TestCases/compliance-level-2/0004-simpletable-U: entries of the
    # .dmn with the inputs of 0004-simpletable-U-test-01.xml.
    (">=18", [(D(18), True)]),
    ("<18", [(D(17), True), (D(18), False)]),
    ('"Medium","Low"', [("Medium", True), ("High", False)]),
    ('"High"', [("High", True)]),
    ("true", [(True, True)]),
    ("false", [(True, False)]),
    # compliance-level-3/0020-vacation-days/0020-vacation-days.dmn
    ("<18,>=60", [(D(16), True), (D(30), False), (D(60), True)]),
    ("[15..30)", [(D(15), True), (D(30), False)]),
    (">=45", [(D(44), False), (D(45), True)]),
    # compliance-level-3/0017-tableTests: .dmn and 0017-tableTests-test-01.xml.
    (">10", [(D(20), True)]),
    ("<=10", [(D(20), False)]),
    ('>date("2016-10-01")', [(date(2016, 11, 1), True)]),
    ('<=date("2016-10-01")', [(date(2016, 11, 1), False)]),
    # compliance-level-3/0087-chapter-11-example (DMN chapter 11); the last are
    # the input values of "Credit score".
    ("< 580", [(D(579), True), (D(580), False)]),
    ("[590..610]", [(D(610), True), (D(611), False)]),
    ('"VERY LOW", "DECLINE"', [("DECLINE", True), ("LOW", False)]),
    ("null, [0..999]", [(None, True), (D(999), True), (D(1000), False)]),
]


@pytest.mark.parametrize(("text", "pairs"), PUBLISHED)
def test_published_examples(text, pairs):
    assert outcomes(text, pairs) == pairs


# DMN 1.5 §10.3.2.7 ranges beyond the subset, and TCK 0017-tableTests' names.
@pytest.mark.parametrize(
    ("text", "position", "detail"),
    [
        ('>= @"2019-03-31"', 3, 'the @-literal (write date("YYYY-MM-DD") instead)'),
        ('<= duration("PT01H")', 3, "the function duration(...)"),
        ('( birthday .. @"2019-01-01" )', 2, 'the name "birthday"'),
        ("[numB..numC]", 1, 'the name "numB"'),
        (">dateE", 1, 'the name "dateE"'),
    ],
)
def test_published_examples_beyond_the_subset_are_refused(text, position, detail):
    error = refusal(parse_unary_tests, text)
    assert (error.position, detail in str(error)) == (position, True)


@pytest.mark.parametrize("text", ["-", "", "   ", "\n  -\n  "])
def test_dash_and_empty_text_match_anything(text):
    tests = parse_unary_tests(text)
    values = [None, "x", D(0), False, date(2026, 1, 1)]
    assert tests.is_any is True
    assert [tests.matches(value) for value in values] == [True] * 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[2..4]", [False, True, True, True, False]),
        ("(2..4)", [False, False, True, False, False]),
        ("(2..4]", [False, False, True, True, False]),
        ("[2..4)", [False, True, True, False, False]),
        ("]2..4]", [False, False, True, True, False]),
        ("[2..4[", [False, True, True, False, False]),
        ("]2..4[", [False, False, True, False, False]),
        ("<2", [True, False, False, False, False]),
        ("<=2", [True, True, False, False, False]),
        (">4", [False, False, False, False, True]),
        (">=4", [False, False, False, True, True]),
        ("=3", [False, False, True, False, False]),
        ("!=3", [True, True, False, True, True]),
        ("1, 3, >4", [True, False, True, False, True]),
        ("not(1, [3..4])", [False, True, False, False, True]),
    ],
)
def test_boundaries_from_one_to_five(text, expected):
    tests = parse_unary_tests(text)
    assert [tests.matches(D(number)) for number in range(1, 6)] == expected


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("-5", [(D(-5), True), (D(5), False)]),
        ("[-10..-1]", [(D(-10), True), (D(-1), True), (D(0), False)]),
        ("< -0.5", [(D(-1), True), (D("-0.5"), False)]),
        ("[.5..1.25]", [(D("0.50"), True), (D("1.25"), True), (D("1.26"), False)]),
        ("1, < 2.5", [(1, True), (2.4, True), (2.5, False)]),
        ('[date("2026-01-01")..date("2026-12-31")]', [(date(2027, 1, 1), False)]),
        ('["a".."m"]', [("lemon", True), ("nut", False)]),
        ('"a, b"', [("a, b", True), ("a", False)]),
        ('"Smith"', [("Smith", True), ("smith", False)]),
        ('not("Smith", "Jones")', [("Jones", False), ("Brown", True)]),
        ("not(false)", [(True, True), (False, False)]),
        # The test null checks for null on any input, as FEEL's "e = null" does.
        ("null", [(None, True), (D(0), False)]),
        ("not(null)", [(None, False), (D(0), True)]),
        ("!= null", [(None, False), ("", True)]),
        ("= null", [(None, True), ("", False)]),
    ],
)
def test_numbers_dates_strings_booleans_and_null(text, pairs):
    assert outcomes(text, pairs) == pairs


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash"', "back\\slash"),
        (r'"it\'s"', "it's"),
        (r'"a\nb\tc\rd"', "a\nb\tc\rd"),
        (r'"\u00e9t\u00e9"', "été"),
        (r'"\uD83D\uDE00"', "\U0001f600"),
        (r'"\U01F600"', "\U0001f600"),
    ],
)
def test_string_escapes(text, value):
    assert parse_unary_tests(text).matches(value) is True
    assert parse_literal(text) == value


@pytest.mark.parametrize(
    "text", ['"A"', 'not("A")', "!= 5", "< 5", "[1..5]", "not([1..5])"]
)
def test_null_input_matches_nothing_but_dash_and_null(text):
    assert parse_unary_tests(text).matches(None) is False


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", "1"),
        ("1", True),
        ("0", False),
        ("true", D(1)),
        ("not(true)", D(1)),
        ("< 5", "4"),
        ('not("4")', D(4)),
        ("[1..5]", date(2026, 1, 3)),
        ('< date("2020-01-01")', "2019-01-01"),
        ('date("2020-01-01")', datetime(2020, 1, 1, tzinfo=UTC)),
        ("not(1)", D("NaN")),
    ],
)
def test_other_types_never_match_and_never_raise(text, value):
    assert parse_unary_tests(text).matches(value) is False


def test_parsed_tests_survive_pickling():
    tests = pickle.loads(pickle.dumps(parse_unary_tests("[1..5], 9")))  # noqa: S301
    assert [tests.matches(D(number)) for number in (5, 6, 9)] == [True, False, True]


def test_str_subclasses_are_strings():
    class Code(str):
        pass

    assert parse_unary_tests('"A", "B"').matches(Code("B")) is True


def test_refusal_names_construct_and_position():
    error = refusal(parse_unary_tests, "< maxAmount")
    assert (error.text, error.position) == ("< maxAmount", 2)
    assert str(error) == (
        'Unsupported in a unary test at character 3 of "< maxAmount": '
        'the name "maxAmount" (only literal values are supported)'
    )


@pytest.mark.parametrize(
    ("text", "position", "detail"),
    [
        ('time("10:00")', 0, 'the function time(...) (only date("YYYY-MM-DD")'),
        ('date and time("2026-01-01T10:00:00")', 0, "the function date and time"),
        ("upper case(x)", 0, 'the name "upper case"'),
        ("x > 5 and y", 0, 'the name "x"'),
        ("> 5 and < 10", 4, 'the operator "and"'),
        ("1 + 2", 2, 'arithmetic ("+")'),
        ("5 - 3", 2, 'arithmetic ("-")'),
        ("? > 3", 0, 'the input placeholder "?"'),
        ("[1, 2]", 0, 'a list "[...]"'),
        ("{a: 1}", 0, "a context"),
        ("1 // one", 2, "a comment"),
        ("if x then 1 else 2", 0, 'the expression "if ..."'),
        ("5 between 1 and 9", 2, 'the keyword "between"'),
        ("1, not(2)", 3, "not(...) inside a list"),
        ("date(2026, 1, 1)", 0, 'date(...) with anything but one "YYYY-MM-DD"'),
    ],
)
def test_unsupported_constructs_are_refused(text, position, detail):
    message = str(refusal(parse_unary_tests, text))
    headline = f'Unsupported in a unary test at character {position + 1} of "{text}"'
    assert message.startswith(headline)
    assert detail in message


@pytest.mark.parametrize(
    ("text", "position", "detail"),
    [
        ("[1..5", 5, 'expected the end of the range "]", ")" or "[", found the end'),
        ("(1..5]]", 6, 'expected "," or the end, found "]"'),
        ("not(1, 2", 8, 'expected "," or ")", found the end'),
        ("not(1), 2", 6, 'expected the end, found ","'),
        ("not 1", 0, '"not" must be followed by "("'),
        ('"open', 0, "the string is not closed on its line"),
        (r'"\x"', 1, r'unknown escape sequence "\x"'),
        (r'"\uD83D"', 0, "a lone surrogate in the string"),
        ('date("2026-02-30")', 5, "(day is out of range for month)"),
        ('date("2026-2-3")', 5, 'not a valid date (write "YYYY-MM-DD")'),
        ("[10..1]", 0, "the range is empty"),
        ("(5..5)", 0, "the range is empty"),
        ('[1.."9"]', 0, "the range mixes a number and a string"),
        ("[true..false]", 1, "a range endpoint is a number, string or date"),
        ("< true", 2, '"<" compares numbers, strings or dates, not a boolean'),
        (">= null", 3, "not null"),
        ("1, -", 3, '"-" (any value) must stand alone'),
        ("1,", 2, "expected a value, found the end"),
        ("#", 0, 'unexpected character "#"'),
    ],
)
def test_invalid_syntax_is_refused_with_position(text, position, detail):
    message = str(refusal(parse_unary_tests, text))
    assert message.startswith(f"Invalid unary test at character {position + 1} ")
    assert detail in message


@pytest.mark.parametrize(
    ("text", "literals", "enumeration"),
    [
        # TCK compliance-level-2/0003-input-data-string-allowed-values
        (
            '"UNEMPLOYED","EMPLOYED","STUDENT"',
            ["UNEMPLOYED", "EMPLOYED", "STUDENT"],
            True,
        ),
        ("null, [0..999]", [None, D(0), D(999)], False),  # TCK 0087
        ("1, 1.0, true, null, 1", [D(1), True, None], True),
        ("< 18, [18..65), >= 65", [D(18), D(65)], False),
        ('not("A", "B")', ["A", "B"], False),
        ('= "A"', ["A"], False),
        ("-", [], False),
    ],
)
def test_literals_and_enumeration(text, literals, enumeration):
    tests = parse_unary_tests(text)
    assert [(type(v), v) for v in tests.literals()] == [(type(v), v) for v in literals]
    assert tests.is_enumeration() is enumeration


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"Declined"', "Declined"),  # TCK 0108-first-hitpolicy default output
        ("0.6", D("0.6")),  # TCK 0087 credit contingency factor
        ("-1.5", D("-1.5")),
        ("false", False),
        ("null", None),
        ("  ", None),
        ('date("2026-03-01")', date(2026, 3, 1)),
    ],
)
def test_parse_literal(text, value):
    parsed = parse_literal(text)
    assert (type(parsed), parsed) == (type(value), value)


@pytest.mark.parametrize(
    ("text", "position", "detail"),
    [
        ('"A", "B"', 3, "a list of values (an output entry holds one literal)"),
        ("approved", 0, 'the name "approved"'),
        ('"a" + "b"', 4, 'arithmetic ("+")'),
        ("< 5", 0, 'expected a value, found "<"'),
    ],
)
def test_parse_literal_refuses_anything_but_one_literal(text, position, detail):
    message = str(refusal(parse_literal, text))
    assert f'literal at character {position + 1} of "{text}": {detail}' in message


@pytest.mark.parametrize(
    ("value", "type_ref", "expected"),
    [
        (3, "number", D(3)),
        (0.1, "number", D("0.1")),
        (" -3.5 ", "Number", D("-3.5")),
        ("yes", "boolean", True),
        ("FALSE", "feel:boolean", False),
        ("2026-02-28", "date", date(2026, 2, 28)),
        ("text", "string", "text"),
        (None, "number", None),
        (1.5, None, D("1.5")),
        (True, "", True),
        ("3", "", "3"),
    ],
)
def test_coerce(value, type_ref, expected):
    coerced = coerce(value, type_ref)
    assert (type(coerced), coerced) == (type(expected), expected)


@pytest.mark.parametrize(
    ("value", "type_ref", "message"),
    [
        (True, "number", "Expected a number, got True"),
        ("1e3", "number", "Expected a number, got '1e3'"),
        (float("nan"), "number", "Expected a number, got nan"),
        (1, "boolean", "Expected a boolean, got 1"),
        (3, "string", "Expected a string, got 3"),
        ("2026-02-30", "date", "Expected a date \"YYYY-MM-DD\", got '2026-02-30'"),
        ("20260228", "date", "Expected a date \"YYYY-MM-DD\", got '20260228'"),
        (datetime(2026, 2, 28, tzinfo=UTC), "date", 'Expected a date "YYYY-MM-DD"'),
        ([1], None, "Expected a string, number, boolean or date, got [1]"),
    ],
)
def test_coerce_refuses_other_values(value, type_ref, message):
    with pytest.raises(InputTypeError) as caught:
        coerce(value, type_ref)
    assert str(caught.value).startswith(message)


def test_coerce_refuses_an_unsupported_type_ref():
    with pytest.raises(ValueError, match='Unsupported typeRef "time"'):
        coerce("10:00", "time")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("10"), 10),
        (D("2.50"), 2.5),
        (D("0.1000000000000000000001"), "0.1000000000000000000001"),
        (D("12345678901234567890"), "12345678901234567890"),
        (date(2026, 1, 31), "2026-01-31"),
        (True, True),
        (None, None),
    ],
)
def test_to_json(value, expected):
    converted = to_json(value)
    assert (type(converted), converted) == (type(expected), expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Approved", "Approved"),
        (D("3.50"), "3.5"),
        (D("1E+1"), "10"),
        (D("-0.0"), "0"),
        (D("0.000001"), "0.000001"),
        (True, "true"),
        (date(2026, 1, 31), "2026-01-31"),
        (None, "null"),
    ],
)
def test_format_value(value, expected):
    assert format_value(value) == expected
