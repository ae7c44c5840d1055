"""Log lines an operator can put beside other logs: every time stamp says its zone."""

import logging
from datetime import datetime


class ZonedFormatter(logging.Formatter):
    """ISO 8601 with milliseconds and the UTC offset (2026-11-26T13:04:43.638+01:00).

    The registry runs in Europe/Stockholm time, while gunicorn's master, nginx and monitoring
    often log UTC: without the offset a warning is an hour off with nothing to say so.
    """

    def formatTime(self, record, datefmt=None):
        moment = datetime.fromtimestamp(record.created).astimezone()
        return moment.isoformat(timespec="milliseconds")
