"""Background work for notifications: deciding who hears about a post, and
sending the emails. The web request that published the post never waits."""

from django.tasks import task

from kinwell.accounts.models import User


@task()
def notify_about_post(post_id: int) -> int:
    from kinwell.notifications import services

    return len(services.notify_about_post(post_id))


@task()
def send_notification_email(notification_id: int) -> bool:
    from kinwell.notifications import emails, services

    notification = services.take_at_once(notification_id)
    if notification is None:
        return False
    emails.at_once_message(notification).send()
    return True


@task()
def send_digest(user_id: int) -> int:
    from kinwell.notifications import emails, services

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return 0
    items = services.take_digest(user)
    if items:
        emails.digest_message(user, items).send()
    return len(items)
