"""Mail leaves through the background worker, after the transaction commits,
so a slow or failing mail server never slows or breaks a page. A failed send
is recorded by the worker as a failed task, with its traceback."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task


@task()
def send_email(subject: str, body: str, recipients: list[str]) -> int:
    return send_mail(subject, body, None, recipients)


def send_after_commit(subject: str, body: str, recipients: list[str]) -> None:
    full_subject = f"[{settings.SITE_NAME}] {subject}"
    transaction.on_commit(lambda: send_email.enqueue(full_subject, body, recipients))
