"""Fill English translations into locale/en/LC_MESSAGES/django.po from a JSON map.

Usage, after `manage.py makemessages -l en --ignore=.venv --ignore=static --ignore=tests --no-location`:
    python tools/fill_translations.py tools/translations_en*.json
then `manage.py compilemessages -l en --ignore=.venv`. The map is {"中文原文": "English"};
add new strings to a tools/translations_en_<feature>.json. Entries that makemessages marked fuzzy (a guess from a
similar string) are replaced when the map has them. Prints the msgids still missing.
"""

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    table = {}
    for name in sys.argv[1:]:
        table.update(json.loads(Path(name).read_text(encoding="utf-8")))
    blocks = PO.read_text(encoding="utf-8").split("\n\n")
    missing, out = [], [blocks[0]]
    for block in blocks[1:]:
        lines = block.split("\n")
        msgid = _msgid(lines)
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        translated = _msgstr(lines)
        if msgid and (fuzzy or not translated):
            if msgid in table:
                keep = [c for c in lines if c.startswith("#") and not c.startswith("#|")]
                keep = [
                    re.sub(r"\bfuzzy,?\s*", "", c).rstrip(", ") if c.startswith("#,") else c
                    for c in keep
                ]
                keep = [c for c in keep if c not in ("#,", "#")]
                block = "\n".join(keep + [f"msgid {quote(msgid)}", f"msgstr {quote(table[msgid])}"])
            else:
                missing.append(msgid)
        out.append(block)
    PO.write_text("\n\n".join(out), encoding="utf-8")
    for msgid in missing:
        print("missing:", msgid)


def _collect(lines, key):
    text, on = "", False
    for line in lines:
        if line.startswith(key + " "):
            on, text = True, json.loads(line[len(key) + 1 :])
        elif on and line.startswith('"'):
            text += json.loads(line)
        else:
            on = False if not line.startswith('"') else on
    return text


def _msgid(lines):
    return _collect(lines, "msgid")


def _msgstr(lines):
    return _collect(lines, "msgstr")


if __name__ == "__main__":
    main()
