"""End-to-end encrypted circles: what the server keeps of them.

Everything a member writes in a circle (its name and purpose included) is
encrypted in the member's browser. These rows hold only public keys, keys
wrapped for one device each, signed member lists and ciphertext, plus what
the server cannot help knowing: who is in which circle, and when and how much
they post. `docs/circles.md` describes the formats of the text fields."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_CIRCLE_MEMBERS = 50


def new_circle_uid() -> str:
    # Random, not sequential: the id goes into signed data and URLs, and
    # says nothing about how many circles there are.
    return secrets.token_urlsafe(16)


class Device(models.Model):
    """A browser holding a member's circle keys, or their recovery key.

    A device has a key-agreement key (to receive epoch keys) and a signing
    key (to sign messages and member lists); a recovery key only signs, to
    vouch for the device a member restores a backup on. The private halves
    never reach the server."""

    class Kind(models.TextChoices):
        BROWSER = "browser", "Browser"
        RECOVERY = "recovery", "Recovery key"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        ACTIVE = "active", "Active"
        REVOKED = "revoked", "Removed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BROWSER)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING
    )
    label = models.CharField(max_length=80, blank=True)
    # SubjectPublicKeyInfo (DER), base64url without padding. P-256.
    agreement_key = models.CharField(max_length=200, blank=True)
    signing_key = models.CharField(max_length=200)
    # The key of the same member that vouched for this one, and its signature
    # over the vouching statement. Empty for a member's first device, which
    # others trust on first use.
    vouched_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voucher = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "state"])]

    def __str__(self) -> str:
        return f"Device {self.pk}"


class KeyBackup(models.Model):
    """A member's key backup, encrypted in their browser under a key derived
    from their passphrase. The server cannot open it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    recovery_device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="+"
    )
    blob = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"KeyBackup {self.pk}"


class Circle(models.Model):
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    uid = models.CharField(max_length=32, unique=True, default=new_circle_uid)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    current_epoch = models.PositiveIntegerField(default=1)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["community", "created_at"])]

    def __str__(self) -> str:
        return f"Circle {self.pk}"


class CircleMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Circle admin"
        MEMBER = "member", "Member"

    class State(models.TextChoices):
        INVITED = "invited", "Invited"
        # Accepted, and waiting for an admin's device to sign them in.
        ACCEPTED = "accepted", "Waiting for keys"
        JOINED = "joined", "Member"
        DECLINED = "declined", "Declined"
        LEFT = "left", "Left"
        REMOVED = "removed", "Removed"

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    circle = models.ForeignKey(
        Circle, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.INVITED
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_at = models.DateTimeField(default=timezone.now)
    # The inviting admin's device signs the invitation, with the key period
    # it was made in, so an admin's browser signs into the member list only
    # people an admin really invited (and not again after a removal).
    invitation_signer = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invitation_signature = models.CharField(max_length=200, blank=True)
    invitation_epoch = models.PositiveIntegerField(default=0)
    joined_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["circle", "user"], name="one_circle_membership_per_user"
            )
        ]
        indexes = [models.Index(fields=["user", "state"])]

    def __str__(self) -> str:
        return f"CircleMembership {self.pk}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


# States in which someone counts against the circle's size and may be
# signed into its member list.
SEATED_STATES = frozenset(
    {
        CircleMembership.State.INVITED,
        CircleMembership.State.ACCEPTED,
        CircleMembership.State.JOINED,
    }
)


class Epoch(models.Model):
    """One key period of a circle: its signed member list, and the circle's
    name and purpose sealed under that period's key."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="epochs")
    number = models.PositiveIntegerField()
    # The exact bytes that were signed (JSON), kept verbatim so every client
    # verifies the same thing.
    roster = models.TextField()
    signer = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    signature = models.CharField(max_length=200)
    sealed_meta = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["circle", "number"], name="one_epoch_number_per_circle"
            )
        ]

    def __str__(self) -> str:
        return f"Epoch {self.pk}"


class KeyWrap(models.Model):
    """An epoch key, encrypted for one device's key-agreement key."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    epoch = models.ForeignKey(Epoch, on_delete=models.CASCADE, related_name="wraps")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    wrapped = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["epoch", "device"], name="one_key_wrap_per_device"
            )
        ]
        indexes = [models.Index(fields=["device", "epoch"])]

    def __str__(self) -> str:
        return f"KeyWrap {self.pk}"


class Message(models.Model):
    """One encrypted message. `header` is the authenticated data (JSON with
    circle, epoch, device and counter), kept verbatim; the server copies the
    numbers it checks into columns."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    circle = models.ForeignKey(
        Circle, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    epoch = models.PositiveIntegerField()
    counter = models.PositiveBigIntegerField()
    header = models.CharField(max_length=400)
    iv = models.CharField(max_length=40)
    ciphertext = models.TextField()
    signature = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the community's moderators removed it after a report: the
    # ciphertext is gone and members see that it was removed.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["circle", "device", "counter"],
                name="one_message_per_device_counter",
            )
        ]
        indexes = [models.Index(fields=["circle", "id"])]

    def __str__(self) -> str:
        return f"Message {self.pk}"


class Report(models.Model):
    """A member's report of one circle message to the community's moderators,
    with the text the reporter chose to reveal. Nothing else of the circle
    reaches the moderators."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"
        REMOVED = "removed", "Message removed"

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    revealed_text = models.TextField(max_length=20000)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "reporter"], name="one_report_per_message_reporter"
            )
        ]
        indexes = [models.Index(fields=["community", "status", "created_at"])]

    def __str__(self) -> str:
        return f"Report {self.pk}"
