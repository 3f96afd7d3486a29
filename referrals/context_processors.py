from django.http import HttpRequest

from referrals.models import Notification


def notifications(request: HttpRequest) -> dict[str, object]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"unread_notifications": 0}
    return {"unread_notifications": Notification.objects.for_membership(membership).unread().count()}
