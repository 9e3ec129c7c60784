"""Demo data, made through the same services as real use. Loading twice
changes nothing: each piece is made only if it is missing."""

from django.db import transaction

from kinwell.accounts import services
from kinwell.accounts.models import ConsentRecord, Credential, Delegation, User
from kinwell.circles import demo as circles_demo
from kinwell.communities import demo as communities_demo
from kinwell.communities.forks import demo as forks_demo
from kinwell.discussions import demo as discussions_demo
from kinwell.stories import demo as stories_demo
from kinwell.tracking import demo as tracking_demo

DEMO_PASSWORD = "kinwell-demo-password"  # noqa: S105 - printed for the demo on purpose
DEMO_LOGINS = [
    ("alex@demo.kinwell.test", "member"),
    ("casey@demo.kinwell.test", "carer, acting for Alex"),
    (
        "nia@demo.kinwell.test",
        "verified nurse (named and anonymous personas); authenticator app secret "
        + discussions_demo.NURSE_TOTP_SECRET,
    ),
    ("val@demo.kinwell.test", "verifier of credentials"),
    ("rin@demo.kinwell.test", "researcher"),
    ("admin@demo.kinwell.test", "administrator"),
    (
        "morgan@demo.kinwell.test",
        "moderator of Long COVID North; authenticator app secret "
        + discussions_demo.MODERATOR_TOTP_SECRET,
    ),
    ("jo@demo.kinwell.test", "new member whose first post waits for a moderator"),
    ("sam.seller@demo.kinwell.test", "member warned for advertising"),
    *stories_demo.DEMO_LOGINS,
]
_PEOPLE = {
    "alex@demo.kinwell.test": ("Alex", {}),
    "casey@demo.kinwell.test": ("Casey", {}),
    "nia@demo.kinwell.test": ("Nia", {}),
    "val@demo.kinwell.test": ("Val", {"is_verifier": True}),
    "rin@demo.kinwell.test": ("Rin", {"is_researcher": True}),
    "admin@demo.kinwell.test": ("Admin", {"is_staff": True, "is_superuser": True}),
}


@transaction.atomic
def load_demo() -> list[str]:
    """Makes what is missing and returns a line for each thing it made."""
    made: list[str] = []
    people = {email: _person(email, made) for email in _PEOPLE}
    alex, casey = people["alex@demo.kinwell.test"], people["casey@demo.kinwell.test"]
    nia, val = people["nia@demo.kinwell.test"], people["val@demo.kinwell.test"]
    if not Delegation.objects.filter(member=alex, carer=casey).exists():
        delegation = services.invite_carer(
            alex, carer_email=casey.email, scopes=["post", "track", "read"]
        )
        services.accept_delegation(casey, delegation=delegation)
        made.append("Casey cares for Alex")
    if not Credential.objects.filter(user=nia).exists():
        credential = services.submit_credential(
            nia,
            profession=Credential.Profession.NURSE,
            registration_body="Nursing and Midwifery Council",
            registration_number="DEMO0001",
        )
        services.approve_credential(val, credential=credential, note="Checked (demo).")
        made.append("Nia is a verified nurse")
    if not ConsentRecord.objects.filter(user=alex).exists():
        for purpose in (
            ConsentRecord.Purpose.COMMUNITY_INSIGHTS,
            ConsentRecord.Purpose.PORTABILITY,
        ):
            services.record_consent(alex, user=alex, purpose=purpose, given=True)
        made.append("Alex's consents")
    made += communities_demo.load_demo(people)
    made += forks_demo.load_demo(people)
    made += discussions_demo.load_demo(people)
    made += stories_demo.load_demo(people)
    made += tracking_demo.load_demo(people)
    made += circles_demo.load_demo(people)
    return made


def _person(email: str, made: list[str]) -> User:
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    name, flags = _PEOPLE[email]
    user = services.create_account(email, DEMO_PASSWORD, display_name=name)
    for field, value in flags.items():
        setattr(user, field, value)
    if flags:
        user.save(update_fields=list(flags))
    made.append(f"account {email}")
    return user
