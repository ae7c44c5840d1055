from .changes import *  # noqa: F403
from .cooperations import *  # noqa: F403
from .editors import *  # noqa: F403
from .places import *  # noqa: F403
from .procurements import *  # noqa: F403
from .reports import *  # noqa: F403
from .sources import *  # noqa: F403
from .staffing import *  # noqa: F403
