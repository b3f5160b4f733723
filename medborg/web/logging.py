"""Keep citizens' tracking tokens out of the logs.

Django logs the path of every 4xx answer; a tracking path holds the token, and
whoever reads the logs would then read the case.
"""

import logging
import re

TRACK_PATH = re.compile(r"/track/[^/\s]+")


class HideTrackingTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/track/" in message:
            record.msg = TRACK_PATH.sub("/track/<token>", message)
            record.args = ()
        return True
