import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.utils import timezone

from kinwell.lib.urls import cached_reverse


def new_public_id() -> str:
    # Random, so a public URL says nothing about row order or the account behind it.
    return secrets.token_urlsafe(9)


def public_name(display_name: str) -> str:
    """How a member's name shows to others (User.public_name)."""
    return display_name or "A member"


def badge(profession: str | None) -> str:
    """What a professional persona shows of its verified credential
    (Persona.badge); nothing for a persona without one."""
    if profession is None:
        return ""
    return f"Verified {Credential.Profession(profession).label.lower()}"


def persona_label(
    kind: str, name: str, display_name: str, profession: str | None
) -> str:
    """What a persona is called (Persona.label), from plain values: the
    member's name, the badge alone for an anonymous professional, or the
    name a named professional chose."""
    if kind == Persona.Kind.PERSONAL:
        return public_name(display_name)
    if kind == Persona.Kind.ANONYMOUS_PROFESSIONAL:
        return badge(profession)
    return name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self, email: str, password: str | None = None, **fields: Any
    ) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **fields: Any
    ) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. Real names are never required: people appear through personas."""

    class TextSize(models.TextChoices):
        NORMAL = "normal", "Normal"
        LARGE = "large", "Large"
        LARGER = "larger", "Larger"

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    bio = models.TextField(max_length=1000, blank=True)
    text_size = models.CharField(
        max_length=10, choices=TextSize.choices, default=TextSize.NORMAL
    )
    high_contrast = models.BooleanField(default=False)
    reduced_motion = models.BooleanField(default=False)
    is_verifier = models.BooleanField(
        default=False, help_text="May approve or reject professional credentials."
    )
    is_researcher = models.BooleanField(
        default=False, help_text="May request consented, de-identified datasets."
    )
    is_story_moderator = models.BooleanField(
        default=False,
        help_text="May publish, return or reject care stories and staff replies.",
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.display_name or f"Member {self.pk}"

    @property
    def public_name(self) -> str:
        return public_name(self.display_name)


class Persona(models.Model):
    """Who a person appears as. A personal persona belongs to every account;
    verified professionals also get a named and an anonymous professional one.
    Nothing shown links an anonymous persona to its account's other personas."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", "Personal"
        PROFESSIONAL = "professional", "Professional (named)"
        ANONYMOUS_PROFESSIONAL = "anonymous", "Professional (anonymous)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personas"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id)
    credential = models.ForeignKey(
        "Credential",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personas",
    )
    # Frozen at creation for professional personas, so a later profile edit
    # cannot leak the display name into an anonymous persona.
    name = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(kind="personal"),
                name="one_personal_persona_per_user",
            ),
            models.UniqueConstraint(
                fields=["credential", "kind"],
                condition=models.Q(credential__isnull=False),
                name="one_persona_of_each_kind_per_credential",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return cached_reverse("accounts:persona", self.public_id)

    @property
    def is_professional(self) -> bool:
        return self.kind != self.Kind.PERSONAL

    @property
    def is_anonymous(self) -> bool:
        return self.kind == self.Kind.ANONYMOUS_PROFESSIONAL

    @property
    def label(self) -> str:
        personal = self.kind == self.Kind.PERSONAL
        return persona_label(
            self.kind,
            self.name,
            self.user.display_name if personal else "",
            self.credential.profession if self.credential else None,
        )

    @property
    def badge(self) -> str:
        return badge(self.credential.profession if self.credential else None)


class Credential(models.Model):
    """A claim of a professional registration, checked by a verifier."""

    class Profession(models.TextChoices):
        DOCTOR = "doctor", "Doctor"
        NURSE = "nurse", "Nurse"
        MIDWIFE = "midwife", "Midwife"
        PHARMACIST = "pharmacist", "Pharmacist"
        PHYSIOTHERAPIST = "physiotherapist", "Physiotherapist"
        PSYCHOLOGIST = "psychologist", "Psychologist"
        DIETITIAN = "dietitian", "Dietitian"
        OCCUPATIONAL_THERAPIST = "occupational_therapist", "Occupational therapist"
        PARAMEDIC = "paramedic", "Paramedic"
        SOCIAL_WORKER = "social_worker", "Social worker"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a verifier"
        APPROVED = "approved", "Verified"
        REJECTED = "rejected", "Not verified"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credentials"
    )
    profession = models.CharField(max_length=30, choices=Profession.choices)
    registration_body = models.CharField(max_length=120)
    registration_number = models.CharField(max_length=60)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "profession"],
                condition=models.Q(status__in=["pending", "approved"]),
                name="one_open_credential_per_profession",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_profession_display()} credential {self.pk}"


class Delegation(models.Model):
    """A member lets a carer act for them, within scopes, until revoked."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACTIVE = "active", "Active"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Revoked"

    class Scope(models.TextChoices):
        POST = "post", "Post for me"
        TRACK = "track", "Track for me"
        READ = "read", "Read my private data"

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="carers"
    )
    # Empty while the invited person has no account yet: the invitation waits
    # on `invited_email` and is claimed when they sign up and verify that address.
    carer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cared_for",
    )
    invited_email = models.EmailField(blank=True)
    may_post = models.BooleanField(default=False)
    may_track = models.BooleanField(default=False)
    may_read = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.INVITED
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "carer"],
                condition=models.Q(status__in=["invited", "active"]),
                name="one_open_delegation_per_pair",
            ),
            models.UniqueConstraint(
                fields=["member", "invited_email"],
                condition=models.Q(status="invited", carer__isnull=True),
                name="one_waiting_invitation_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"Delegation {self.pk}"

    @property
    def carer_label(self) -> str:
        return self.carer.public_name if self.carer else self.invited_email

    @property
    def scopes(self) -> list[str]:
        return [scope for scope in self.Scope.values if getattr(self, f"may_{scope}")]

    def allows(self, scope: str) -> bool:
        return self.status == self.Status.ACTIVE and scope in self.scopes

    def scope_labels(self) -> list[str]:
        return [str(self.Scope(scope).label) for scope in self.scopes]


class ConsentRecord(models.Model):
    """Append-only: a consent is changed by adding a record, never by editing one."""

    class Purpose(models.TextChoices):
        COMMUNITY_INSIGHTS = "community_insights", "Community insights"
        RESEARCH = "research", "Research datasets"
        RESEARCH_NOTES = "research_notes", "My notes in research datasets"
        PORTABILITY = "portability", "Take my posts along in exports and forks"
        EMAIL_DIGESTS = "email_digests", "Email digests"
        FORK_POSTS = "fork_posts", "Bring my past posts into a fork"

    class Method(models.TextChoices):
        WEB = "web", "On the website"
        API = "api", "Through the API"
        CARER = "carer", "By a carer acting for the member"
        IMPORT = "import", "Carried over by an import"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    text_version = models.CharField(max_length=20)
    given = models.BooleanField()
    method = models.CharField(max_length=10, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What a one-off decision is about, e.g. "fork_proposal:12"; empty for the
    # standing consents a member switches on and off.
    reference = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"Consent {self.pk}"

    @property
    def reference_label(self) -> str:
        kind, _, number = self.reference.partition(":")
        return f"{kind.replace('_', ' ')} {number}".strip().capitalize()


class AuditEvent(models.Model):
    """A sensitive read or write. `subject` is the person whose data it touched,
    so their "Access to my data" page can list it."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="audit_actions",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.CASCADE,
        related_name="audit_subject_events",
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["subject", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class ApiToken(models.Model):
    """A personal access token. Only its SHA-256 is stored; the user sees it once."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=60)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    scope = models.CharField(max_length=5, choices=Scope.choices)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
