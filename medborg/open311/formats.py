"""Render Open311 answers as GeoReport v2 XML or JSON.

The two formats carry the same rows: a list of flat dictionaries whose nested
lists (a service definition's attributes and their values, discovery's
endpoints and formats) are named by :data:`ITEM_NAMES` in XML. ``None`` is an
empty element in XML and ``null`` in JSON; booleans are ``true``/``false``.
"""

import json
import re
from xml.etree import ElementTree

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json",
    "xml": "text/xml; charset=utf-8",
}
# The element of each item of a nested list, by the list's element name.
ITEM_NAMES = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ElementTree.SubElement(element, name), child)
    elif isinstance(value, list | tuple):
        item_name = ITEM_NAMES.get(element.tag, "item")
        for item in value:
            _fill(ElementTree.SubElement(element, item_name), item)
    else:
        element.text = _text(value)


def xml_document(root: str, item: str | None, data) -> bytes:
    """An XML document: ``data`` is a list of ``item`` rows, or one dict."""
    element = ElementTree.Element(root)
    if item is None:
        _fill(element, data)
    else:
        for row in data:
            _fill(ElementTree.SubElement(element, item), row)
    body = ElementTree.tostring(element, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'.encode()


def render(data, fmt: str, *, root: str, item: str | None, status: int = 200):
    """Answer ``data`` in ``fmt``; ``root`` and ``item`` name the XML elements."""
    if fmt == "xml":
        content = xml_document(root, item, data)
    else:
        content = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return HttpResponse(content, content_type=CONTENT_TYPES[fmt], status=status)


def render_errors(problems: list[str], fmt: str, *, status: int, headers=None):
    """Answer each problem as an Open311 error whose code is the HTTP status."""
    rows = [{"code": status, "description": str(text)} for text in problems]
    response = render(rows, fmt, root="errors", item="error", status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
