import pytest
from django.core.management import call_command
from django.db import transaction

from kinwell.lib.mail import send_after_commit


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)
def test_mail_is_queued_on_commit_and_sent_by_the_worker(database_tasks, mailoutbox):
    with transaction.atomic():
        send_after_commit("A carer invitation", "Hello", ["carer@example.org"])
        assert mailoutbox == []
    # Committed and queued, but not sent until a worker runs.
    assert mailoutbox == []
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    assert [m.to for m in mailoutbox] == [["carer@example.org"]]
    assert mailoutbox[0].subject == "[Kinwell] A carer invitation"


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_when_the_transaction_rolls_back(database_tasks, mailoutbox):
    def queue_then_fail() -> None:
        with transaction.atomic():
            send_after_commit("Never", "Body", ["carer@example.org"])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        queue_then_fail()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    assert mailoutbox == []
