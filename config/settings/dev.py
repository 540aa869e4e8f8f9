"""Developer and demo settings: DEBUG on unless told otherwise, SQLite unless DATABASE_URL is set."""

from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
