"""One county officer's inspection and one reviewer's browsing, as the browser sends them.

Written against a requests-style session (`get`/`post`, cookies, `.url`, `.status_code`) so
the same steps drive Locust's HttpSession under load and a plain `requests.Session` in the
suite's check that the scenario still matches the pages. Each step returns the response;
`inspect` raises `ScenarioError` when the application refuses a step.
"""

from __future__ import annotations

import io
import re

from PIL import Image

_VERSION = re.compile(r'data-version="(\d+)"')


class ScenarioError(Exception):
    pass


def photo_bytes() -> bytes:
    """A small camera-like JPEG, as the phone sends after resizing in the browser."""
    image = Image.new("RGB", (1280, 960), (180, 120, 60))
    for x in range(0, 1280, 40):
        for y in range(0, 960, 40):
            image.putpixel((x, y), (x % 255, y % 255, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _csrf(session) -> str:
    return session.cookies.get("csrftoken", "")


def login(session, username: str, password: str):
    _get(session, "/accounts/login/", name="/accounts/login/")
    response = _post(
        session,
        "/accounts/login/",
        name="/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": _csrf(session)},
    )
    if "/accounts/login/" in response.url:
        raise ScenarioError(f"login refused for {username}")
    return response


def resume(session, session_key: str):
    """Carry on a session signed in earlier; the first page gives the CSRF cookie."""
    session.cookies.set("sessionid", session_key)
    response = _checked(_get(session, "/", name="/ (dashboard)"), "resume")
    if "/accounts/login/" in response.url:
        raise ScenarioError("the seeded session was not accepted")
    return response


def _named(session) -> bool:
    # Locust's HttpSession groups figures by `name=`; requests does not take it.
    return type(session).__module__.startswith("locust")


def _get(session, path: str, *, name: str, **kwargs):
    if _named(session):
        kwargs["name"] = name
    return session.get(path, **kwargs)


def _post(session, path: str, *, name: str, **kwargs):
    if _named(session):
        kwargs["name"] = name
    headers = kwargs.pop("headers", {})
    headers.setdefault("X-CSRFToken", _csrf(session))
    return session.post(path, headers=headers, **kwargs)


def _checked(response, step: str):
    if response.status_code >= 400:
        raise ScenarioError(f"{step}: HTTP {response.status_code}")
    return response


def _by_section(answers: dict) -> list[dict]:
    sections: dict[str, dict] = {}
    for code, answer in answers.items():
        sections.setdefault(code.split(".")[0], {})[code] = answer
    return list(sections.values())


def inspect(session, institution: dict, *, deadline: str, photo: bytes, think=None) -> int:
    """Start, fill (one problem with a photo), and submit an inspection. Returns its id.

    Without `think` every answer goes in one save (the compressed scenario). With it the
    officer saves section by section, as the phone autosaves what was just answered, and
    `think()` passes the time spent walking the premises before each save and the submit.
    """
    response = _checked(
        _post(
            session,
            f"/inspections/start/{institution['id']}/",
            name="/inspections/start/[id]/",
            data={"csrfmiddlewaretoken": _csrf(session)},
        ),
        "start",
    )
    found = re.search(r"/inspections/(\d+)/$", response.url)
    version = _VERSION.search(response.text)
    if not found or not version:
        raise ScenarioError(f"start: landed on {response.url}")
    pk = int(found.group(1))
    items = institution["items"]
    problem = next((i for i in items if i["type"] == "compliance" and i["photo"]), None)
    answers = {}
    for item in items:
        if item["type"] == "compliance":
            answers[item["code"]] = {"value": "compliant"}
        elif item["type"] == "number":
            # Inside every limit of the 2023 checklist (2.08 ≥ 3, 2.12 ≤ 6, 2.13 ≥ 5), so the
            # one problem is the one chosen below.
            answers[item["code"]] = {"number": "5"}
        else:
            answers[item["code"]] = {"text": "已核实"}
    if problem is not None:
        answers[problem["code"]] = {"value": "non_compliant", "note": "疏散通道堆放杂物"}
    current = int(version.group(1))
    for batch in _by_section(answers) if think else [answers]:
        if think:
            think()
        current = _checked(
            _post(
                session,
                f"/inspections/{pk}/save/",
                name="/inspections/[id]/save/",
                json={"version": current, "answers": batch},
            ),
            "save",
        ).json()["version"]
        if problem is not None and problem["code"] in batch:
            _checked(
                _post(
                    session,
                    f"/inspections/{pk}/answers/{problem['code']}/photos/",
                    name="/inspections/[id]/answers/[code]/photos/",
                    files={"photo": ("现场.jpg", photo, "image/jpeg")},
                ),
                "photo",
            )
    if think:
        think()
    submitted = _checked(
        _post(
            session,
            f"/inspections/{pk}/submit/",
            name="/inspections/[id]/submit/",
            data={
                "csrfmiddlewaretoken": _csrf(session),
                "version": current,
                "result": "rectify" if problem is not None else "compliant",
                "rectify_deadline": deadline if problem is not None else "",
                # The plan's deadline is a month out, past the county phase's end while the
                # campaign runs: the officer says why, as the form asks.
                "deadline_reason": "涉及消防设施改造，需报消防部门验收"
                if problem is not None
                else "",
                "summary": "现场检查完毕",
            },
        ),
        "submit",
    )
    if not submitted.url.rstrip("/").endswith(f"/inspections/{pk}"):
        raise ScenarioError(f"submit: landed on {submitted.url}")
    return pk


BROWSE = [
    ("/", "/ (dashboard)"),
    ("/progress/", "/progress/"),
    ("/inspections/problems/", "/inspections/problems/"),
    ("/institutions/", "/institutions/"),
]


def browse(session, step: int):
    path, name = BROWSE[step % len(BROWSE)]
    return _checked(_get(session, path, name=name), f"browse {path}")
