"""(being written)"""

from ninja import Router

router = Router(tags=["tracking_io"])
