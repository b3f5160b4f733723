"""Fetch a service's form once and turn it into a body wrk can replay.

The form is read from its rendered HTML, so the benchmark follows whatever
questions the catalog has: every ``q_`` field is answered (radio and checkbox:
the first value; select: the first non-empty option; number: its ``min`` or 1;
date: 2026-12-01; anything else: "bench"), a place inside the municipality is
given when the form asks for one, and the CSRF cookie and token come from the
same GET. ``submission_key`` is left as a hole: wrk fills in a fresh one per
request, because the server answers a repeated key with the first case.
"""

import http.client
import re
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie

KEY_FIELD = "submission_key"
QUESTION_PREFIX = "q_"
PLACE = {"latitude": "56.8777", "longitude": "14.8091", "address": "bench"}
ANSWER_BY_TYPE = {"date": "2026-12-01"}
TEXT_ANSWER = "bench"


class _FormParser(HTMLParser):
    """Collect the controls of every POST form in the page, form by form."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []  # one list of controls per form
        self.controls = None  # the open form's: dicts of tag, name, type, ...
        self._select = None
        self._option = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self.controls = []
            self.forms.append(self.controls)
        elif self.controls is None:
            return
        elif tag in {"input", "textarea"} and attrs.get("name"):
            self.controls.append(
                {
                    "tag": tag,
                    "name": attrs["name"],
                    "type": attrs.get("type", "text").lower(),
                    "value": attrs.get("value", ""),
                    "min": attrs.get("min", ""),
                }
            )
        elif tag == "select" and attrs.get("name"):
            self._select = {
                "tag": "select",
                "name": attrs["name"],
                "type": "select",
                "options": [],
            }
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "text": ""}
            self._select["options"].append(self._option)

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.controls = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None


def _answer(control) -> str | None:
    kind = control["type"]
    if kind in {"radio", "checkbox"}:
        return control["value"]
    if kind == "select":
        for option in control["options"]:
            value = option["value"] if option["value"] is not None else option["text"]
            if value.strip():
                return value.strip()
        return None
    if kind == "number":
        return control["min"] or "1"
    if kind == "file":
        return None
    return ANSWER_BY_TYPE.get(kind, TEXT_ANSWER)


def fields_from_html(html: str) -> list[tuple[str, str]]:
    """Return (name, value) pairs to submit, with KEY_FIELD's value left empty."""
    parser = _FormParser()
    parser.feed(html)
    controls = next(
        (
            form
            for form in parser.forms
            if any(control["name"] == KEY_FIELD for control in form)
        ),
        None,
    )
    if controls is None:
        raise ValueError(f"the page has no POST form with a {KEY_FIELD} field")
    fields, answered = [], set()
    for control in controls:
        name = control["name"]
        if name == KEY_FIELD:
            fields.append((name, ""))
        elif name == "csrfmiddlewaretoken":
            fields.append((name, control["value"]))
        elif name in PLACE:
            fields.append((name, PLACE[name]))
        elif name.startswith(QUESTION_PREFIX) and name not in answered:
            value = _answer(control)
            if value is not None:
                fields.append((name, value))
                answered.add(name)
    return fields


def multipart(fields: list[tuple[str, str]], key: str) -> tuple[bytes, bytes, str]:
    """Encode fields as multipart/form-data; return prefix, suffix, content type.

    The body is ``prefix + submission_key + suffix``.
    """
    boundary = "----medborgbench" + secrets.token_hex(12)
    before, after, seen_key = [], [], False
    for name, value in fields:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        ).encode()
        if name == key:
            before.append(head)
            seen_key = True
            continue
        part = head + value.encode("utf-8") + b"\r\n"
        (after if seen_key else before).append(part)
    prefix = b"".join(before)
    suffix = b"\r\n" + b"".join(after) + f"--{boundary}--\r\n".encode()
    return prefix, suffix, f"multipart/form-data; boundary={boundary}"


@dataclass
class PreparedForm:
    path: str
    fields: list
    csrf_cookie: str
    prefix: bytes
    suffix: bytes
    content_type: str

    @property
    def cookie_header(self) -> str:
        return f"csrftoken={self.csrf_cookie}"

    def body(self, submission_key: str) -> bytes:
        return self.prefix + submission_key.encode() + self.suffix


def request(host, port, method, path, *, body=None, headers=None, timeout=30):
    """One HTTP request without following redirects; return (status, headers, body)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def prepare(host: str, port: int, path: str) -> PreparedForm:
    """GET the form and build the body; raise RuntimeError when that fails."""
    status, headers, body = request(host, port, "GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    cookie = SimpleCookie()
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookie.load(value)
    if "csrftoken" not in cookie:
        raise RuntimeError(f"GET {path} set no csrftoken cookie")
    fields = fields_from_html(body.decode("utf-8"))
    prefix, suffix, content_type = multipart(fields, KEY_FIELD)
    return PreparedForm(
        path=path,
        fields=fields,
        csrf_cookie=cookie["csrftoken"].value,
        prefix=prefix,
        suffix=suffix,
        content_type=content_type,
    )


def submit_once(host: str, port: int, form: PreparedForm) -> tuple[int, str]:
    """POST the form once with a fresh key; return the status and a hint on failure.

    A good submission answers 302 to the receipt.
    """
    status, headers, body = request(
        host,
        port,
        "POST",
        form.path,
        body=form.body(secrets.token_urlsafe(32)),
        headers={
            "Content-Type": form.content_type,
            "Cookie": form.cookie_header,
            "Origin": f"http://{host}:{port}",
        },
    )
    if 300 <= status < 400:
        return status, dict(headers).get("Location", "")
    text = body.decode("utf-8", "replace")
    hints = [
        " ".join(re.sub(r"<[^>]+>", " ", text[at : at + 400]).split())[:160]
        for at in (m.end() for m in re.finditer(r'class="form-error-message"', text))
    ]
    return status, " | ".join(hints) or text[:300]
