"""Small helpers that make test data through the real services."""

import itertools

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from kinwell.accounts import services
from kinwell.accounts.models import Credential, Delegation, User

PASSWORD = "a calm and long test passphrase"
_numbers = itertools.count(1)


def make_user(name: str = "", *, email: str = "", **flags: bool) -> User:
    number = next(_numbers)
    user = services.create_account(
        email or f"person{number}@example.org",
        PASSWORD,
        display_name=name or f"Person {number}",
    )
    if flags:
        for field, value in flags.items():
            setattr(user, field, value)
        user.save(update_fields=list(flags))
    return user


def give_totp(user: User) -> str:
    """Activates TOTP for `user` and returns the secret, to make codes with."""
    secret = str(generate_totp_secret())
    TOTP.activate(user, secret)
    return secret


def make_verified_clinician(
    name: str = "Dr Canary Realname", profession: str = Credential.Profession.NURSE
) -> User:
    user = make_user(name)
    give_totp(user)
    verifier = make_user("Verifier for clinician", is_verifier=True)
    give_totp(verifier)
    credential = services.submit_credential(
        user,
        profession=profession,
        registration_body="Nursing and Midwifery Council",
        registration_number=f"NMC{next(_numbers):06d}",
    )
    services.approve_credential(verifier, credential=credential)
    return user


def make_delegation(member: User, carer: User, scopes: list[str]) -> Delegation:
    delegation = services.invite_carer(member, carer_email=carer.email, scopes=scopes)
    return services.accept_delegation(carer, delegation=delegation)
