"""Actions taken on serious violations."""

import factory
from django.utils import timezone

from enforcement.models import EnforcementAction
from inspections.models import Inspection
from tests.factories.inspections import InspectionFactory
from tests.factories.institutions import InstitutionFactory


class EnforcementActionFactory(factory.django.DjangoModelFactory):
    """The suspension an inspection ordered, recorded against its institution."""

    class Meta:
        model = EnforcementAction

    institution = factory.SubFactory(InstitutionFactory)
    inspection = factory.SubFactory(
        InspectionFactory,
        submitted=True,
        result=Inspection.Result.SUSPEND,
        institution=factory.SelfAttribute("..institution"),
    )
    campaign = factory.SelfAttribute("inspection.round.campaign")
    trigger = EnforcementAction.Trigger.SUSPENSION
    basis = "检查结论为停业整改：无消防安全条件擅自开展培训"
    kind = EnforcementAction.Kind.SUSPENSION
    department = "education"
    taken_on = factory.LazyFunction(timezone.localdate)
    document_number = factory.Sequence(lambda n: f"小教责改字〔2023〕{n + 1}号")
    recorded_by = factory.SelfAttribute("inspection.created_by")
