"""The inspector pool, declared conflicts, draws and the assignments they make.

Draws and assignments are made as the app makes them, through sampling.services: a
confirmed draw and its assignments are evidence that a PostgreSQL trigger keeps unchanged.
"""

import factory

from accounts.scope import scope_for
from sampling import services
from sampling.models import Assignment, Conflict, Draw, PoolMember
from tests.factories.accounts import UserFactory
from tests.factories.campaign import CampaignFactory
from tests.factories.core import lazy_region, region
from tests.factories.inspections import RoundFactory
from tests.factories.institutions import InstitutionFactory

# One inspector per (county, department), from 太原市 counties the factories' institutions
# are not in, so a joint team (education, the supervising department, fire rescue) can be
# drawn for any of them.
TAIYUAN_POOL = [
    ("140109", "education"), ("140110", "education"), ("140109", "fire"), ("140110", "fire"),
    ("140110", "culture_tourism"), ("140109", "science"), ("140110", "sports"),
]  # fmt: skip


def city_round(campaign=None):
    """太原市's spot-check round of a (new) campaign, opened as the app opens it."""
    return services.sampling_round(campaign=campaign or CampaignFactory(), region=region("140100"))


def fill_pool(round_, drawer, posts=TAIYUAN_POOL) -> list:
    people = [UserFactory(grant=("county_officer", code, department)) for code, department in posts]
    for person in people:
        services.pool_add(round_=round_, user=person, actor=drawer, scope=scope_for(drawer))
    return people


def drawable_round(campaign=None):
    """A new 太原市 round with a full pool and an institution in 小店区 and in 迎泽区 (beside
    any the test made): a draw over it has a frame, county units and teams."""
    round_ = city_round(campaign)
    fill_pool(round_, UserFactory(grant=("city_staff", "140100")))
    for code in ("140105", "140106"):
        InstitutionFactory(county=region(code))
    return round_


class PoolMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PoolMember

    round = factory.SubFactory(RoundFactory, level="city", region=lazy_region("140100"))
    user = factory.SubFactory(UserFactory, grant=("county_officer", "140109"))
    department = "education"
    home_region = lazy_region("140109")
    added_by = factory.SubFactory(UserFactory, grant=("city_staff", "140100"))


class ConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conflict

    user = factory.SubFactory(UserFactory, grant=("county_officer", "140109"))
    institution = factory.SubFactory(InstitutionFactory)
    reason = "近亲属在该机构任职"
    declared_by = factory.SubFactory(UserFactory, grant=("city_staff", "140100"))


class DrawFactory(factory.django.DjangoModelFactory):
    """A preview of a new 太原市 round (drawable_round), computed by services.draw_preview
    over the institutions in the database; DrawFactory(confirmed=True) confirms it through
    services.draw_confirm (every drawn institution then needs a joint team in the pool)."""

    class Meta:
        model = Draw
        skip_postgeneration_save = True

    round = factory.LazyFunction(drawable_round)
    created_by = factory.SubFactory(UserFactory, grant=("city_staff", "140100"))
    seed = factory.Sequence(lambda n: f"{20231115000 + n}")

    @classmethod
    def _create(cls, model_class, *, round, created_by, seed):
        return services.draw_preview(
            round_=round, actor=created_by, scope=scope_for(created_by), seed=seed
        )

    @factory.post_generation
    def confirmed(self, create, extracted, **kwargs):
        if create and extracted:
            services.draw_confirm(
                draw=self, actor=self.created_by, scope=scope_for(self.created_by)
            )
            self.refresh_from_db()


class AssignmentFactory(factory.django.DjangoModelFactory):
    """The institution's assignment in a confirmed draw of a new 太原市 round: it is named
    as a must-inspect (必查) institution, the pool filled so every team is joint, and the
    draw previewed and confirmed through the services."""

    class Meta:
        model = Assignment

    institution = factory.SubFactory(InstitutionFactory)
    drawer = factory.SubFactory(UserFactory, grant=("city_staff", "140100"))
    reason = "群众举报消防通道堵塞，列为必查"

    @classmethod
    def _create(cls, model_class, *, institution, drawer, reason):
        round_ = city_round()
        fill_pool(round_, drawer)
        scope = scope_for(drawer)
        draw = services.draw_preview(
            round_=round_, actor=drawer, scope=scope, named=[(institution, reason)]
        )
        draw = services.draw_confirm(draw=draw, actor=drawer, scope=scope)
        return draw.assignments.get(institution=institution)
