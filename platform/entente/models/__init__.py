"""SQLModel tables and the data models that cross the API.

Tables (``table=True``) hold state; data models (``...Create``, ``...Public``) are what JSON looks
like going in and out. Data models never inherit from tables. Instants are stored timezone-aware
through ``UTCDateTime`` so SQLite and PostgreSQL read back the same aware UTC values.
"""

from entente.models.aftermath import *  # noqa: F403
from entente.models.base import (  # noqa: F401
    ApiModel,
    Instant,
    MarkingInput,
    MarkingPublic,
    PartyCode,
    UTCDateTime,
    check_party_code,
    instant_column,
    json_column,
)
from entente.models.coalition import *  # noqa: F403
from entente.models.deescalation import *  # noqa: F403
from entente.models.drafting import *  # noqa: F403
from entente.models.inbox import *  # noqa: F403
from entente.models.incidents import *  # noqa: F403
from entente.models.ladder import *  # noqa: F403
from entente.models.releases import *  # noqa: F403
from entente.models.sanctions import *  # noqa: F403
from entente.models.signoffs import *  # noqa: F403
from entente.models.transparency import *  # noqa: F403
from entente.models.trust import *  # noqa: F403

# Each domain's tables live in a module of this package; importing them here registers every
# table on SQLModel.metadata (migrations and tests rely on that).
