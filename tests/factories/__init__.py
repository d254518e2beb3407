"""Factories for every model of the project apps, one module per app.

`from tests.factories import XFactory` finds any of them; tests/core/test_factories.py
fails when a model has none.
"""

from tests.factories.accounts import (
    AuditEventFactory,
    NotificationFactory,
    RoleGrantFactory,
    UserFactory,
)
from tests.factories.api import ApiTokenFactory
from tests.factories.campaign import (
    CampaignFactory,
    ChecklistItemFactory,
    ChecklistTemplateFactory,
    FeeRuleFactory,
    PhaseFactory,
    PublicityActivityFactory,
)
from tests.factories.clock import (
    CampaignClockFactory,
    ClaimFactory,
    JobRunFactory,
    QuotaFlagFactory,
    RegionOverdueFactory,
)
from tests.factories.complaints import (
    AttachmentFactory,
    CaseFactory,
    CategoryRuleFactory,
    ReferralFactory,
)
from tests.factories.core import RegionFactory
from tests.factories.enforcement import EnforcementActionFactory
from tests.factories.fees import FeeRecordFactory, FeeViolationFactory, RefundFactory
from tests.factories.inspections import (
    AmendmentFactory,
    AnswerFactory,
    EvidenceFactory,
    FindingFactory,
    InspectionFactory,
    ReceiptPhotoFactory,
    RectificationTaskFactory,
    RoundFactory,
)
from tests.factories.institutions import (
    AccountBatchFactory,
    InstitutionAccountFactory,
    InstitutionFactory,
    SiteFactory,
)
from tests.factories.personnel import (
    BackgroundCheckFactory,
    CheckBatchFactory,
    DismissalFactory,
    StaffFactory,
    id_number,
)
from tests.factories.reporting import (
    CitySummaryFactory,
    PublicationFactory,
    SummaryEventFactory,
    SummarySectionFactory,
    SummarySubmissionFactory,
)
from tests.factories.sampling import (
    AssignmentFactory,
    ConflictFactory,
    DrawFactory,
    PoolMemberFactory,
)
from tests.factories.selfcheck import (
    SelfAmendmentFactory,
    SelfAnswerFactory,
    SelfInspectionFactory,
    SelfPhotoFactory,
)
from tests.factories.tabular import ExportRunFactory, ImportRunFactory

__all__ = [
    "AccountBatchFactory", "SelfAmendmentFactory", "SelfAnswerFactory", "SelfInspectionFactory",
    "SelfPhotoFactory",
    "AmendmentFactory", "AnswerFactory", "ApiTokenFactory", "AssignmentFactory",
    "AttachmentFactory", "AuditEventFactory", "BackgroundCheckFactory", "CampaignClockFactory",
    "CampaignFactory", "CaseFactory", "InstitutionAccountFactory", "CategoryRuleFactory", "CheckBatchFactory",
    "ChecklistItemFactory", "ChecklistTemplateFactory", "CitySummaryFactory", "ClaimFactory",
    "ConflictFactory", "DismissalFactory", "DrawFactory", "EnforcementActionFactory",
    "EvidenceFactory", "ExportRunFactory", "ReceiptPhotoFactory", "FeeRecordFactory", "FeeRuleFactory",
    "FeeViolationFactory", "FindingFactory", "ImportRunFactory", "InspectionFactory",
    "InstitutionFactory", "JobRunFactory", "NotificationFactory", "PhaseFactory",
    "PoolMemberFactory", "PublicationFactory", "PublicityActivityFactory", "QuotaFlagFactory",
    "RectificationTaskFactory", "ReferralFactory", "RefundFactory", "RegionFactory",
    "RegionOverdueFactory", "RoleGrantFactory", "RoundFactory", "SiteFactory", "StaffFactory",
    "SummaryEventFactory", "SummarySectionFactory", "SummarySubmissionFactory", "UserFactory",
    "id_number",
]  # fmt: skip
