"""govaudit: audit 政府信息公开工作年度报告 (annual government information disclosure reports).

>>> import govaudit
>>> r = govaudit.load("data/samples/qufu-shizhuang-street-2024.txt")
>>> r.requests.loc["new_received", "total"]
9
"""
import logging
from importlib.metadata import PackageNotFoundError, version

from .api import check, iter_load, load, load_many
from .errors import GovauditError, ParseWarning, ReadError, StoreConflict, UnsupportedFormat
from .report import Corpus, Report

try:
    __version__ = version("govaudit")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["load", "load_many", "iter_load", "check", "Report", "Corpus", "GovauditError", "ReadError",
           "UnsupportedFormat", "StoreConflict", "ParseWarning", "__version__"]
