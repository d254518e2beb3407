"""Every model of the project apps has a factory, and each factory makes a row its model
accepts (tests/factories/, STYLE.md practice 10)."""

import factory
import pytest
from django.apps import apps

import tests.factories as factories

PROJECT_APPS = {
    "core", "accounts", "tabular", "institutions", "campaign", "inspections", "sampling",
    "clock", "personnel", "fees", "complaints", "enforcement", "reporting", "api", "selfcheck",
}  # fmt: skip


def project_models() -> list[str]:
    return sorted(
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        # simple-history's tables are written by the history machinery, not by the app.
        and not model.__name__.startswith("Historical")
    )


def factory_by_model() -> dict[str, type]:
    found = {}
    for name in factories.__all__:
        value = getattr(factories, name)
        if isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory):
            found[value._meta.model._meta.label] = value
    return found


FACTORIES = factory_by_model()

# Fields full_clean() cannot judge on a stored row. Anything not listed is checked.
NOT_JUDGED = {
    # A draw's frozen inputs and results are JSONFields without blank=True, but a draw with
    # no declared conflict, no shortage and no must-inspect institution stores them empty
    # ([] / {}), as sampling.services.draw_preview writes them: "required" does not apply.
    "sampling.Draw": ["conflicts", "shortages", "must_include"],
}


def test_every_project_model_has_a_factory():
    missing = [label for label in project_models() if label not in FACTORIES]
    assert not missing, f"add a factory to tests/factories/<app>.py for: {', '.join(missing)}"


def test_no_factory_is_for_a_model_outside_the_project_apps():
    assert set(FACTORIES) <= set(project_models())


@pytest.mark.django_db
@pytest.mark.parametrize("label", project_models())
def test_the_factory_makes_a_stored_row_its_model_accepts(label):
    made = FACTORIES[label]()
    assert made._meta.label == label
    assert made.pk is not None
    stored = type(made)._default_manager.get(pk=made.pk)
    stored.full_clean(exclude=NOT_JUDGED.get(label))


@pytest.mark.django_db
def test_a_confirmed_draw_is_made_by_the_services_with_its_assignments():
    from sampling.models import Draw

    draw = factories.DrawFactory(confirmed=True)
    assert draw.status == Draw.Status.CONFIRMED and draw.confirmed_by == draw.created_by
    assert draw.assignments.filter(is_active=True).count() == len(draw.institutions) > 0
    draw.full_clean(exclude=NOT_JUDGED["sampling.Draw"])
