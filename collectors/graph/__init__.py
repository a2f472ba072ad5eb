"""Facebook Pages and Instagram business accounts through facebook-sdk's GraphAPI.

``client`` sets the Graph API version in one place and points the library at the
configured host per object; ``records`` is the only module that knows Graph JSON;
``threads`` holds the window-and-threads logic both platforms share.
"""

from collectors.graph.facebook import FacebookCollector
from collectors.graph.instagram import InstagramCollector

__all__ = ["FacebookCollector", "InstagramCollector"]
