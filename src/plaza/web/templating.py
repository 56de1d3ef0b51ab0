"""One Jinja2 environment over the templates of every domain.

Each domain keeps its pages in its own `templates/` folder; they all extend the shell's
`base.html`. Autoescaping is on, so user text is always escaped.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [
    PACKAGE / "web" / "templates",
    PACKAGE / "accounts" / "templates",
    PACKAGE / "chat" / "templates",
    PACKAGE / "moments" / "templates",
    PACKAGE / "public_accounts" / "templates",
    PACKAGE / "moderation" / "templates",
    PACKAGE / "exports" / "templates",
]


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS if d.is_dir()]),
        autoescape=select_autoescape(["html"]),
    )
    return Jinja2Templates(env=env)
