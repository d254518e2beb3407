import pytest

from accounts.scope import scope_for
from institutions.accounts import institution_account_open


@pytest.fixture
def cast(cast, places):
    """The standing cast, and the own account of the 小店区 institution (机构端)."""
    account, _password = institution_account_open(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    account.user.must_change_password = False  # as after the first sign-in's change
    account.user.save(update_fields=["must_change_password"])
    cast.institution = account.user
    return cast
