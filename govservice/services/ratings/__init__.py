"""好差评: ratings of concluded applications, and the work orders bad reviews open."""

from govservice.services.ratings.service import RatingService
from govservice.services.ratings.views import CallbackView, RatingView, WorkOrderView
from govservice.services.ratings.work_orders import WorkOrderService

__all__ = ["CallbackView", "RatingService", "RatingView", "WorkOrderService", "WorkOrderView"]
