"""Developer and demo settings: SQLite unless DATABASE_URL is set. DEBUG is on unless told otherwise; the demo
(scripts/demo.sh) runs with DEBUG=0, as production does where a user can tell: real 404 and 500 pages, and static
files served by WhiteNoise straight from the source folders (no collectstatic step)."""

from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
