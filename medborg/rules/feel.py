"""Parse and evaluate the FEEL of decision tables: simple unary tests and literals.

Pure, no ORM. A hand-written parser turns each cell into small immutable test
functions once, so ``matches`` only compares. Nothing reaches ``eval``: a decision
must be explainable from the table alone, and an uploaded table must not run code.

Supported (DMN 1.3 grammar of simple unary tests, rules 7-14): ``-`` for any
value, null included, as is an empty text, which dmn-js and Camunda Modeler
write for an empty cell; tests separated by commas, one of which must hold
(``"A", "B"``, ``<18, >=60``); ``not(...)`` around them all. A test is a literal
after an optional ``<``, ``<=``, ``>``, ``>=``, ``=``, ``!=``, or an interval
``[a..b]``, ``(a..b)``, ``(a..b]``, ``[a..b)``, ``]a..b]``, ``[a..b[``,
``]a..b[``. Literals, also for output entries: numbers (``-1``, ``.5``) as
Decimal, double-quoted strings with the escapes ``\\" \\' \\\\ \\n \\r \\t \\uXXXX
\\UXXXXXX``, ``true``, ``false``, ``null``, ``date("YYYY-MM-DD")``.

Anything else (names as in ``< maxAmount``, ``time()``, ``duration()``, other
functions, arithmetic, ``?``, ``and``, comments) raises FeelError naming it and
its position, so a table is refused when loaded, never evaluated half-right. So
do tests that cannot match: ranges mixing types or starting above their end,
``<`` on a boolean or on null.

Logic is three-valued as in FEEL: comparing different types (``"1"`` and ``1``,
``true`` and ``1``) is null, and only a true test matches. A null input decides
nothing but ``-`` and an explicit ``null``, so a missing input never satisfies
``not("A")``; the test ``null`` is FEEL's ``e = null`` on any input, so
``not(null)`` matches every present value. ``-`` matches null although DMN 1.5
§10.3.2.10 reads it as "not null" when the input has no input values: a rule
that ignores an input must not fail because that input is missing.
"""

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

Value = str | Decimal | bool | date | None
_Test = Callable[[object, str | None], bool | None]

NUMBER, STRING, BOOLEAN, DATE, NULL = "number", "string", "boolean", "date", "null"
_ORDERED = frozenset({NUMBER, STRING, DATE})
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_TOKEN = re.compile(
    r'(?P<space>\s+)|(?P<string>"(?:[^"\\\n\r]|\\.)*")'
    r"|(?P<number>-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))|(?P<name>[^\W\d]\w*)"
    r"|(?P<op><=|>=|!=|<|>|=)|(?P<punct>\.\.|[()\[\],])|(?P<dash>-)"
)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{6}|.)")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_BOOLEAN_TEXT = {"true": True, "yes": True, "false": False, "no": False}
_CHARACTERS = {
    "?": 'the input placeholder "?" (only literal values are supported)',
    "@": 'the @-literal (write date("YYYY-MM-DD") instead)',
    "{": "a context",
    **{symbol: f'arithmetic ("{symbol}")' for symbol in "+*/"},
}
_EXACT_KINDS = {str: STRING, bool: BOOLEAN, date: DATE, type(None): NULL}
_WITH_ARTICLE = {BOOLEAN: "a boolean", NULL: "null"}
_CONSTANTS = {"true": (True, BOOLEAN), "false": (False, BOOLEAN), "null": (None, NULL)}
_DATE_ONLY = ' (only date("YYYY-MM-DD") is supported)'
_KEYWORDS = frozenset({"if", "for", "some", "every", "function"})
_INFIX = {
    "and": 'the operator "and" (list tests with "," or use a range)',
    "or": 'the operator "or" (list the tests with ",")',
    **{word: f'the keyword "{word}"' for word in ("between", "in", "instance")},
}
_NOT = {True: False, False: True, None: None}


class FeelError(ValueError):
    """A text outside the supported FEEL subset, or no valid FEEL at all.

    ``position`` is the 0-based index of the problem in ``text``; the message
    counts characters from 1, as people do.
    """

    def __init__(self, message: str, *, text: str, position: int):
        super().__init__(message)
        self.text = text
        self.position = position


class InputTypeError(ValueError):
    """An input value that cannot be read as the type its decision table expects."""

    def __init__(self, expected: str, value):
        super().__init__(f"Expected {expected}, got {value!r}")
        self.expected = expected
        self.value = value


@dataclass(frozen=True, slots=True)
class UnaryTests:
    """Parsed unary tests; build them with :func:`parse_unary_tests`."""

    text: str
    is_any: bool
    _test: _Test = field(repr=False, compare=False)
    _literals: tuple = field(default=(), repr=False, compare=False)
    _enumeration: bool = field(default=False, repr=False, compare=False)

    def matches(self, value: Value) -> bool:
        """Whether ``value`` satisfies the tests; an undecided (null) test does not."""
        return self.is_any or self._test(value, _kind(value)) is True

    def literals(self) -> list[Value]:
        """Every literal the tests mention, in order, without duplicates."""
        return list(self._literals)

    def is_enumeration(self) -> bool:
        """Whether the text only lists plain literals: ``literals()`` is the domain."""
        return self._enumeration

    def __reduce__(self):
        # Closures do not pickle; the text rebuilds the same tests.
        return parse_unary_tests, (self.text,)


class _Token(NamedTuple):
    kind: str
    text: str
    position: int


class _Item(NamedTuple):
    test: _Test
    literals: tuple
    plain: bool = False


def _kind(value) -> str | None:
    kind = _EXACT_KINDS.get(type(value))
    if kind is not None:
        return kind
    if type(value) is Decimal:
        return NUMBER if value.is_finite() else None
    # Python numbers and subclasses, such as a TextChoices member (a str); bool
    # is an int and datetime a date, hence the order.
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, Decimal | int | float):
        return NUMBER if Decimal(value).is_finite() else None
    if isinstance(value, str):
        return STRING
    return DATE if isinstance(value, date) and not isinstance(value, datetime) else None


def _equal(endpoint, kind: str) -> _Test:
    if kind == NULL:
        return lambda value, value_kind: value_kind == NULL
    return lambda value, value_kind: value == endpoint if value_kind == kind else None


def _comparison(symbol: str, endpoint, kind: str) -> _Test:
    compare = _COMPARE[symbol]
    return lambda value, value_kind: (
        compare(value, endpoint) if value_kind == kind else None
    )


def _interval(low, low_closed: bool, high, high_closed: bool, kind: str) -> _Test:
    above = operator.ge if low_closed else operator.gt
    below = operator.le if high_closed else operator.lt
    return lambda value, value_kind: (
        above(value, low) and below(value, high) if value_kind == kind else None
    )


def _any_of(tests: list[_Test]) -> _Test:
    if len(tests) == 1:
        return tests[0]

    def test(value, value_kind):
        result = False
        for each in tests:
            outcome = each(value, value_kind)
            if outcome is True:
                return True
            if outcome is None:
                result = None
        return result

    return test


def _negation(test: _Test) -> _Test:
    return lambda value, value_kind: _NOT[test(value, value_kind)]


def _unique(values) -> tuple:
    # Keyed by kind too: True == Decimal(1) in Python, but not in FEEL.
    seen = {}
    for value in values:
        seen.setdefault((_kind(value), value), value)
    return tuple(seen.values())


class _Parser:
    def __init__(self, text: str, noun: str):
        self.text, self.noun, self.index = text, noun, 0
        self.tokens = self.tokenize()

    def error(self, position: int, detail: str, *, unsupported=False) -> FeelError:
        headline = "Unsupported in a" if unsupported else "Invalid"
        message = (
            f'{headline} {self.noun} at character {position + 1} of "{self.text}": '
            + detail
        )
        return FeelError(message, text=self.text, position=position)

    def refuse(self, position: int, detail: str) -> FeelError:
        return self.error(position, detail, unsupported=True)

    def tokenize(self) -> list[_Token]:
        tokens, position = [], 0
        while position < len(self.text):
            match = _TOKEN.match(self.text, position)
            if match is None:
                # Raised when the parser gets here, so the leftmost problem wins.
                tokens.append(_Token("error", self.text[position], position))
                break
            if match.lastgroup != "space":
                tokens.append(_Token(match.lastgroup, match.group(), position))
            position = match.end()
        return [*tokens, _Token("end", "", len(self.text))]

    def character_error(self, position: int) -> FeelError:
        char = self.text[position]
        if char == '"':
            return self.error(position, "the string is not closed on its line")
        if self.text.startswith(("//", "/*"), position):
            return self.refuse(position, "a comment")
        if char in _CHARACTERS:
            return self.refuse(position, _CHARACTERS[char])
        return self.error(position, f'unexpected character "{char}"')

    def string(self, token: _Token) -> str:
        def unescape(match):
            code = match.group(1)
            if code in _ESCAPES:
                return _ESCAPES[code]
            if len(code) > 1 and int(code[1:], 16) <= 0x10FFFF:
                return chr(int(code[1:], 16))
            detail = f'unknown escape sequence "{match.group()}"'
            raise self.error(token.position + 1 + match.start(), detail)

        value = _ESCAPE.sub(unescape, token.text[1:-1])
        if not any("\ud800" <= char <= "\udfff" for char in value):
            return value
        # "\uD83D\uDE00" spells one character as a UTF-16 surrogate pair.
        try:
            return value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise self.error(token.position, "a lone surrogate in the string") from None

    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        if token.kind == "error":
            raise self.character_error(token.position)
        self.index += 1
        return token

    def at(self, symbols: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token.kind == "punct" and token.text in symbols.split()

    def unary_tests(self) -> UnaryTests:
        first = self.peek()
        if first.kind == "end" or (first.kind == "dash" and self.peek(1).kind == "end"):
            return UnaryTests(self.text, True, _test=lambda value, kind: True)
        negated = first.kind == "name" and first.text == "not"
        if negated:
            if not self.at("(", 1):
                raise self.error(first.position, '"not" must be followed by "("')
            self.index += 2
        items = [self.positive()]
        while self.at(","):
            self.advance()
            items.append(self.positive())
        if negated:
            if not self.at(")"):
                raise self.trailing('"," or ")"')
            self.advance()
        if self.peek().kind != "end":
            raise self.trailing("the end" if negated else '"," or the end')
        test = _any_of([item.test for item in items])
        return UnaryTests(
            self.text,
            False,
            _test=_negation(test) if negated else test,
            _literals=_unique(value for item in items for value in item.literals),
            _enumeration=not negated and all(item.plain for item in items),
        )

    def literal(self) -> Value:
        if self.peek().kind == "end":
            return None
        value = self.endpoint()[0]
        if self.at(","):
            detail = "a list of values (an output entry holds one literal)"
            raise self.refuse(self.peek().position, detail)
        if self.peek().kind != "end":
            raise self.trailing("the end")
        return value

    def trailing(self, expected: str) -> FeelError:
        token = self.peek()
        if token.kind == "dash":
            return self.refuse(token.position, 'arithmetic ("-")')
        if token.kind == "name" and token.text in _INFIX:
            return self.refuse(token.position, _INFIX[token.text])
        return self.unexpected(token, expected)

    def unexpected(self, token: _Token, expected: str) -> FeelError:
        if token.kind == "error":
            return self.character_error(token.position)
        found = "the end" if token.kind == "end" else f'"{token.text}"'
        return self.error(token.position, f"expected {expected}, found {found}")

    def positive(self) -> _Item:
        token = self.peek()
        if token.kind == "op":
            self.advance()
            return self.comparison(token.text)
        if self.at("[ ( ]"):
            return self.interval()
        if token.kind == "dash":
            raise self.error(token.position, '"-" (any value) must stand alone')
        value, kind, _ = self.endpoint()
        return _Item(_equal(value, kind), (value,), plain=True)

    def comparison(self, symbol: str) -> _Item:
        value, kind, position = self.endpoint()
        if symbol in ("=", "!="):
            test = _equal(value, kind)
            return _Item(test if symbol == "=" else _negation(test), (value,))
        if kind not in _ORDERED:
            other = _WITH_ARTICLE[kind]
            detail = f'"{symbol}" compares numbers, strings or dates, not {other}'
            raise self.error(position, detail)
        return _Item(_comparison(symbol, value, kind), (value,))

    def interval(self) -> _Item:
        start = self.advance()
        low, low_kind, low_position = self.endpoint()
        if start.text == "[" and self.at(", ]"):
            detail = 'a list "[...]" (write the values without brackets)'
            raise self.refuse(start.position, detail)
        if not self.at(".."):
            raise self.unexpected(self.peek(), '".." in the range')
        self.advance()
        high, high_kind, high_position = self.endpoint()
        if not self.at("] ) ["):
            raise self.unexpected(self.peek(), 'the end of the range "]", ")" or "["')
        end = self.advance()
        for kind, position in ((low_kind, low_position), (high_kind, high_position)):
            if kind not in _ORDERED:
                other = _WITH_ARTICLE[kind]
                detail = f"a range endpoint is a number, string or date, not {other}"
                raise self.error(position, detail)
        closed = start.text == "[" and end.text == "]"
        if low_kind != high_kind:
            detail = f"the range mixes a {low_kind} and a {high_kind}"
            raise self.error(start.position, detail)
        if low > high or (low == high and not closed):
            raise self.error(start.position, "the range is empty")
        test = _interval(low, start.text == "[", high, end.text == "]", low_kind)
        return _Item(test, (low, high))

    def endpoint(self) -> tuple[Value, str, int]:
        token = self.advance()
        if token.kind == "number":
            return Decimal(token.text), NUMBER, token.position
        if token.kind == "string":
            return self.string(token), STRING, token.position
        if token.kind != "name":
            raise self.unexpected(token, "a value")
        if token.text in _CONSTANTS:
            return *_CONSTANTS[token.text], token.position
        if token.text == "date" and self.at("("):
            return self.date_literal(token), DATE, token.position
        raise self.name_error(token)

    def date_literal(self, token: _Token) -> date:
        self.advance()
        argument = self.advance()
        if argument.kind != "string" or not self.at(")"):
            detail = 'date(...) with anything but one "YYYY-MM-DD" string'
            raise self.refuse(token.position, detail)
        self.advance()
        text = self.string(argument)
        try:
            if _DATE_TEXT.fullmatch(text):
                return date.fromisoformat(text)
            reason = 'write "YYYY-MM-DD"'
        except ValueError as error:
            reason = str(error)
        raise self.error(argument.position, f'"{text}" is not a valid date ({reason})')

    def name_error(self, token: _Token) -> FeelError:
        word = token.text
        if word == "not":
            detail = "not(...) inside a list (only a whole entry can be negated)"
        elif word == "date" and self.peek().text == "and":
            detail = "the function date and time(...)" + _DATE_ONLY
        elif self.at("("):
            detail = f"the function {word}(...)"
            detail += _DATE_ONLY if word in ("time", "duration") else ""
        elif word in _KEYWORDS:
            detail = f'the expression "{word} ..."'
        else:
            words = [word]
            while self.peek().kind == "name":
                words.append(self.advance().text)
            detail = f'the name "{" ".join(words)}" (only literal values are supported)'
        return self.refuse(token.position, detail)


def parse_unary_tests(text: str) -> UnaryTests:
    """Parse an input entry, input values or output values. Raises FeelError."""
    return _Parser(text, "unary test").unary_tests()


def parse_literal(text: str) -> Value:
    """Parse an output entry: one FEEL literal; an empty text is None.

    Raises FeelError naming anything that is not a literal.
    """
    return _Parser(text, "literal").literal()


def coerce(value, type_ref: str | None) -> Value:
    """Turn a JSON or Python input value into the FEEL value for a DMN typeRef.

    ``type_ref`` is "string", "number", "boolean" or "date", in any case, with or
    without the "feel:" prefix; empty or None keeps the value, int and float
    made Decimal. Numbers may come as numeric strings ("3.5"), booleans as
    "true", "false", "yes" or "no", dates as "YYYY-MM-DD"; a datetime is not a
    date. None stays None.

    Raises InputTypeError naming the expected type and the value, and
    ValueError for another typeRef: a fault of the table, not of the input.
    """
    if value is None:
        return None
    name = (type_ref or "").strip().lower().removeprefix("feel:")
    if name not in _COERCIONS:
        supported = "string, number, boolean, date"
        raise ValueError(f'Unsupported typeRef "{type_ref}" (supported: {supported})')
    return _COERCIONS[name](value)


def _untyped(value) -> Value:
    kind = _kind(value)
    if kind not in (STRING, NUMBER, BOOLEAN, DATE):
        raise InputTypeError("a string, number, boolean or date", value)
    return _number(value) if kind == NUMBER else value


def _string(value) -> str:
    if isinstance(value, str):
        return value
    raise InputTypeError("a string", value)


def _number(value) -> Decimal:
    number = value
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        number = Decimal(value.strip())
    elif isinstance(value, float):
        number = Decimal(repr(value))  # 0.1, not its binary expansion
    if _kind(number) != NUMBER:
        raise InputTypeError("a number", value)
    return Decimal(number)


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[value.strip().lower()]
    raise InputTypeError("a boolean", value)


def _date(value) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_TEXT.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputTypeError('a date "YYYY-MM-DD"', value)


_COERCIONS = {
    "": _untyped,
    STRING: _string,
    NUMBER: _number,
    BOOLEAN: _boolean,
    DATE: _date,
}


def to_json(value: Value):
    """Return ``value`` for JSON: a date as "YYYY-MM-DD", a Decimal as below.

    A Decimal is a JSON number (an int when integral) if the number read back
    equals it, ``Decimal(repr(float(d))) == d``; otherwise its string, so that
    no digit is lost.
    """
    if isinstance(value, Decimal):
        if not value.is_finite() or Decimal(repr(float(value))) != value:
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def format_value(value: Value) -> str:
    """Write ``value`` for an explanation: "3.5", "10", "true", "2026-01-31", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal) and value.is_finite():
        # format(..., "f") has neither exponent nor the context's rounding.
        text = format(value, "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return "0" if text == "-0" else text
    return value.isoformat() if isinstance(value, date) else str(value)
