from django import template

register = template.Library()


@register.filter
def lookup(mapping, key):
    """``{{ mapping|lookup:key }}``: the value at ``key``, or an empty string."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
