"""Narrowing a scoped list to one region of the tree, as every region filter does."""

from django.db.models import QuerySet

from .models import Region


def within_region(queryset: QuerySet, code: str, *, path: str) -> QuerySet:
    """Narrow to one region (county, city or province code) by the code column at `path`.

    Used by every filter that takes a region code; an unknown code matches nothing. It only
    narrows: the queryset must already be scoped.
    """
    region = Region.objects.filter(code=(code or "").strip()).first()
    if region is None:
        return queryset.none()
    return queryset.filter(**{f"{path}__startswith": region.prefix})
