"""A captcha that needs no outside service: a small sum, kept in the visitor's session.

The question is drawn as a noisy image by Pillow; for visitors who cannot read the image,
the form can show the same sum written out in Chinese words instead (accessibility first:
the per-IP rate limit, not the captcha, is what really stops a script). Each answer is
good for one try: checking it, right or wrong, draws a new question.
"""

from __future__ import annotations

import hmac
import io
import secrets

from django.core.cache import cache
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from accounts.outbox import BROKER_ERRORS

SESSION_KEY = "complaints_captcha"
_WORDS = "零一二三四五六七八九十"


def _number_words(n: int) -> str:
    if n <= 10:
        return _WORDS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _WORDS[tens]) + "十" + (_WORDS[ones] if ones else "")


def new(session) -> dict:
    rng = secrets.SystemRandom()
    a, b = rng.randint(2, 19), rng.randint(1, 9)
    if rng.random() < 0.5 and a > b:
        challenge = {"text": f"{a} - {b} = ?", "words": f"{_number_words(a)}减{_number_words(b)}等于几？", "answer": str(a - b)}  # fmt: skip
    else:
        challenge = {"text": f"{a} + {b} = ?", "words": f"{_number_words(a)}加{_number_words(b)}等于几？", "answer": str(a + b)}  # fmt: skip
    challenge["seed"] = rng.randint(0, 2**31)
    session[SESSION_KEY] = challenge
    return challenge


def current(session) -> dict:
    return session.get(SESSION_KEY) or new(session)


def check(session, answer: str) -> bool:
    """True when `answer` solves the session's question; the question is used up either way."""
    challenge = session.pop(SESSION_KEY, None)
    new(session)
    if not challenge:
        return False
    given = "".join((answer or "").split()).translate(_FULL_WIDTH)
    return hmac.compare_digest(given.encode(), challenge["answer"].encode())


def claim(session) -> bool:
    """Claim the session's current question for one submission (atomic in the shared cache):
    False when another request with the same session already did."""
    challenge = session.get(SESSION_KEY)
    if not challenge:
        return True  # no question: `check` refuses the answer anyway
    key = f"{SESSION_KEY}:claimed:{session.session_key}:{challenge['seed']}"
    try:
        return cache.add(key, 1, timeout=3600)
    except BROKER_ERRORS:
        return True  # Redis down: the one-try answer still stops a later resend


_FULL_WIDTH = str.maketrans("０１２３４５６７８９－", "0123456789-")


def image(session) -> bytes:
    challenge = current(session)
    rng = secrets.SystemRandom()
    width, height = 180, 60
    img = Image.new("RGB", (width, height), (245, 247, 250))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        colour = tuple(rng.randint(150, 210) for _ in range(3))
        draw.line(
            [(rng.randint(0, width), rng.randint(0, height)) for _ in range(2)], colour, width=2
        )
    font = ImageFont.load_default(size=30)
    x = 12
    for char in challenge["text"]:
        layer = Image.new("RGBA", (32, 44), (0, 0, 0, 0))
        ImageDraw.Draw(layer).text((4, 2), char, font=font, fill=(30, 40, 90, 255))
        layer = layer.rotate(rng.randint(-18, 18), resample=Image.Resampling.BICUBIC)
        img.paste(layer, (x, rng.randint(4, 14)), layer)
        x += 20 if char != " " else 8
    for _ in range(250):
        draw.point((rng.randint(0, width - 1), rng.randint(0, height - 1)), (120, 120, 140))
    img = img.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()
