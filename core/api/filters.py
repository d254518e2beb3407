"""Filter backends every API view uses (settings REST_FRAMEWORK)."""

from rest_framework import filters


class OrderingFilter(filters.OrderingFilter):
    """DRF's, with three changes: only a view's explicit `ordering_fields` are allowed; its
    `ordering_aliases` map a public name to the expression behind it (`deadline` → the
    effective deadline `due`); the primary key breaks ties, so pages never overlap or skip."""

    def get_valid_fields(self, queryset, view, context=None):
        # Fail closed: a view that names no `ordering_fields` cannot be ordered by the
        # client at all (DRF would otherwise allow every serializer field).
        if getattr(view, "ordering_fields", None) is None:
            return []
        return super().get_valid_fields(queryset, view, context or {})

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        aliases = getattr(view, "ordering_aliases", {})
        result = []
        for term in ordering:
            sign = "-" if term.startswith("-") else ""
            name = term.lstrip("-")
            result.append(sign + aliases.get(name, name))
        if not any(t.lstrip("-") in ("pk", "id") for t in result):
            result.append("pk")
        return result
