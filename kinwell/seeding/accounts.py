"""Accounts: `member{n}@seed.kinwell.test`, verified, all with the one seed
password, each with the personal persona every account has."""

import base64
import random
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from kinwell.accounts.models import Persona, User
from kinwell.seeding import text
from kinwell.seeding.registry import BASE, EMAIL_DOMAIN, SEED_PASSWORD, Context

HISTORY_DAYS = 720


def seed_accounts(context: Context) -> None:
    # Hashing is slow on purpose: hash once, share the result.
    password = make_password(SEED_PASSWORD)
    batch = context.scale.batch
    for start in range(1, context.scale.members + 1, batch):
        numbers = range(start, min(start + batch, context.scale.members + 1))
        users = User.objects.bulk_create(
            [_user(context.rng, number, password) for number in numbers]
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True)
            for user in users
        )
        personas = Persona.objects.bulk_create(
            Persona(
                user=user,
                kind=Persona.Kind.PERSONAL,
                public_id=_public_id(context.rng),
                created_at=user.date_joined,
            )
            for user in users
        )
        for user, persona in zip(users, personas, strict=True):
            context.user_ids.append(user.pk)
            context.personas[user.pk] = (persona.pk, user.public_name)
        context.count("accounts", len(users))


def _user(rng: random.Random, number: int, password: str) -> User:
    return User(
        email=f"member{number}@{EMAIL_DOMAIN}",
        password=password,
        display_name=text.display_name(rng),
        date_joined=BASE - timedelta(minutes=rng.randrange(HISTORY_DAYS * 24 * 60)),
    )


def _public_id(rng: random.Random) -> str:
    # The shape of accounts.models.new_public_id, drawn from the seed.
    return base64.urlsafe_b64encode(rng.getrandbits(72).to_bytes(9)).decode()
