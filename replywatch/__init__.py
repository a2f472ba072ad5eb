"""replywatch: does a business hold conversations on its social accounts, or only broadcast?"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("replywatch")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"
