"""Template filters that render Django form fields with DKFDS classes.

Load with ``{% load forms %}``. ``web/includes/field.html`` uses these, so form
code can keep plain Django widgets:

* ``{{ field|dkfds_widget }}`` renders the widget with the DKFDS class for its type
  (``form-input``, ``form-select``, ``form-checkbox``, ``form-file``).
* ``{{ field|with_attrs:"class=form-input input-width-s,autocomplete=email" }}``
  renders it with extra attributes. ``class`` is added to the widget's own classes;
  other attributes replace the widget's. Works on a bound field and on one option
  of a radio/checkbox group (``{% for option in field %}``).
* ``{{ field|field_kind }}`` tells the include which DKFDS markup to use.
* ``{{ field|field_anchor }}`` is the id an error summary should link to.

``aria-describedby`` follows Django's own ids (``<auto_id>_helptext`` and
``<auto_id>_error``) and keeps any ids already set on the widget; ``aria-invalid``
is set when the field has errors.
"""

from django import forms, template
from django.forms.boundfield import BoundField, BoundWidget
from django.utils.safestring import SafeString

register = template.Library()

_CLASS_FOR_KIND = {
    "checkbox": "form-checkbox",
    "select": "form-select",
    "textarea": "form-input",
    "file": "form-file",
    "input": "form-input",
    "fieldset": "form-input",
}


def _parse_spec(spec):
    """Turn ``"class=a b,rows=4,readonly"`` into ``{"class": "a b", ...}``."""
    attrs = {}
    for part in str(spec).split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        if name:
            attrs[name] = value.strip() if sep else True
    return attrs


def _merge_tokens(*values):
    tokens = []
    for value in values:
        for token in str(value or "").split():
            if token not in tokens:
                tokens.append(token)
    return " ".join(tokens)


def _render_field(field, attrs):
    widget = field.field.widget
    attrs = dict(attrs)
    if "class" in attrs:
        attrs["class"] = _merge_tokens(widget.attrs.get("class"), attrs["class"])
    if not field.is_hidden and not widget.use_fieldset:
        own = attrs.get("aria-describedby", widget.attrs.get("aria-describedby"))
        ours = []
        if field.auto_id:
            if field.help_text:
                ours.append(f"{field.auto_id}_helptext")
            if field.errors:
                ours.append(f"{field.auto_id}_error")
        describedby = _merge_tokens(own, *ours)
        if describedby:
            attrs["aria-describedby"] = describedby
    if field.errors and not field.is_hidden:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


def _render_option(option, attrs):
    data_attrs = dict(option.data.get("attrs", {}))
    attrs = dict(attrs)
    if "class" in attrs:
        attrs["class"] = _merge_tokens(data_attrs.get("class"), attrs["class"])
    data = {**option.data, "attrs": {**data_attrs, **attrs}}
    return BoundWidget(option.parent_widget, data, option.renderer).tag(
        wrap_label=False
    )


@register.filter
def with_attrs(field, spec):
    """Render a bound field (or one radio/checkbox option) with extra attributes."""
    attrs = _parse_spec(spec)
    if isinstance(field, BoundWidget):
        return _render_option(field, attrs)
    if isinstance(field, BoundField):
        return _render_field(field, attrs)
    return field


@register.filter
def field_kind(field):
    """Which DKFDS markup a bound field needs.

    One of ``hidden``, ``checkbox`` (a single checkbox), ``choices`` (radio buttons
    or checkboxes in a fieldset), ``select``, ``textarea``, ``file``, ``fieldset``
    (other multi-part widgets such as SplitDateTimeWidget) and ``input``; an empty
    string when given something that is not a bound field (e.g. a misspelt name).
    """
    if not isinstance(field, BoundField):
        return ""
    widget = field.field.widget
    if field.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "choices"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    if widget.use_fieldset:
        return "fieldset"
    return "input"


@register.filter
def dkfds_widget(field):
    """Render a bound field's widget with the DKFDS class for its type."""
    kind = field_kind(field)
    if not kind:
        return ""
    if kind == "hidden":
        return SafeString(str(field))
    css_class = _CLASS_FOR_KIND.get(kind, "form-input")
    if isinstance(field.field.widget, forms.SelectMultiple):
        css_class = "form-input"  # the .form-select chevron suits single selects only
    return _render_field(field, {"class": css_class})


@register.filter
def field_anchor(field):
    """The element id an error summary link should point at for this field."""
    kind = field_kind(field)
    if not kind:
        return ""
    if kind == "choices":
        for option in field.subwidgets:
            if option.id_for_label:
                return option.id_for_label
    return field.id_for_label or field.auto_id or ""
