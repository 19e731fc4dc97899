"""好差评: ratings of concluded applications, and the work orders bad reviews open (whose process
facts are :data:`ENGINE_EXTENSION`)."""

from govservice.services.ratings.service import RatingService
from govservice.services.ratings.views import CallbackView, RatingView, WorkOrderView
from govservice.services.ratings.work_orders import WORK_ORDERS as ENGINE_EXTENSION
from govservice.services.ratings.work_orders import WorkOrderService

__all__ = [
    "ENGINE_EXTENSION",
    "CallbackView",
    "RatingService",
    "RatingView",
    "WorkOrderService",
    "WorkOrderView",
]
