"""The portable archive: export, its format and privacy rules, import and
everything import refuses, the pages and the commands."""

import hashlib
import io
import json
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from kinwell.accounts import services as account_services
from kinwell.accounts.models import AuditEvent, ConsentRecord, User
from kinwell.communities.archive import kinds, schema, services
from kinwell.communities.models import (
    ArchiveExport,
    Cluster,
    Community,
    Departure,
    Membership,
)
from tests import factories

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "docs" / "archive-schema"
Archive = dict[str, bytes]


def export_bytes(community: Community) -> bytes:
    target = io.BytesIO()
    services.export_to_file(None, community=community, target=target)
    return target.getvalue()


def entries(data: bytes) -> Archive:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def records(data: bytes, kind: str) -> list[dict[str, Any]]:
    lines = entries(data)[f"records/{kind}.jsonl"].splitlines()
    return [json.loads(line) for line in lines]


def build(files: Archive, *, fix_manifest: bool = True) -> bytes:
    """An archive of `files`; with fix_manifest, its manifest's checksums,
    sizes and entry list are made to match (to test checks past them)."""
    files = dict(files)
    if fix_manifest and "manifest.json" in files:
        manifest = json.loads(files["manifest.json"])
        manifest["entries"] = [
            {
                "path": name,
                "sha256": hashlib.sha256(body).hexdigest(),
                "size": len(body),
            }
            for name, body in files.items()
            if name != "manifest.json"
        ]
        files["manifest.json"] = json.dumps(manifest).encode()
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return target.getvalue()


def import_bytes(data: bytes, actor: User | None = None, slug: str = "") -> Community:
    return services.import_archive(actor, stream=io.BytesIO(data), slug=slug or None)


def consent(user: User, given: bool = True) -> None:
    account_services.record_consent(
        user, user=user, purpose=ConsentRecord.Purpose.PORTABILITY, given=given
    )


def png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(image, "PNG")
    return image.getvalue()


# The format ------------------------------------------------------------------


def test_manifest_names_format_source_counts_and_checksum_of_every_entry(
    community: Community,
) -> None:
    files = entries(export_bytes(community))
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "kinwell-community-archive"
    assert manifest["version"] == 1
    assert manifest["source"]["software"] == "kinwell"
    assert manifest["community"] == {"name": community.name, "slug": community.slug}
    assert manifest["counts"] == {
        "community": 1, "members": 4, "roles": 4, "departures": 0,
        "tags": 0, "threads": 0, "posts": 0, "reactions": 0, "moderation_log": 0,
        "tracking_catalogue": 0, "tracking_questionnaires": 0,
        "tracking_conditions": 0, "tracking_symptoms": 0, "tracking_check_ins": 0,
        "tracking_courses": 0, "tracking_questionnaire_responses": 0,
    }  # fmt: skip
    listed = {entry["path"]: entry["sha256"] for entry in manifest["entries"]}
    assert set(listed) == set(files) - {"manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest


def test_every_record_and_the_manifest_validate_against_the_json_schemas(
    community: Community, member: User
) -> None:
    consent(member)
    community.cluster = Cluster.objects.create(name="Long COVID", slug="long-covid")
    community.avatar.save("a.png", ContentFile(png()))
    files = entries(export_bytes(community))
    manifest = json.loads(files["manifest.json"])
    validator = jsonschema_rs.validator_for(_schema_file("manifest"))
    validator.validate(manifest)
    for kind in manifest["counts"]:
        validator = jsonschema_rs.validator_for(_schema_file(kind))
        for line in files[f"records/{kind}.jsonl"].splitlines():
            validator.validate(json.loads(line))


def _schema_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (SCHEMA_DIR / f"{name}.schema.json").read_text()
    )
    return loaded


def test_every_registered_kind_has_a_schema_file() -> None:
    for kind in kinds.registered():
        assert (SCHEMA_DIR / f"{kind.name}.schema.json").is_file(), kind.name
        schema.load_schema(kind.name)  # uses only what the import's checker knows


@pytest.mark.parametrize(
    "record",
    [
        {"member": "m-" + "a" * 24, "role": "boss"},
        {"member": "someone@example.org", "role": "member"},
        {"member": "m-" + "a" * 24},
        {"member": "m-" + "a" * 24, "role": "member", "email": "x@example.org"},
        {"member": 7, "role": "member"},
    ],
)
def test_the_import_checker_refuses_what_the_json_schema_refuses(
    record: dict[str, Any],
) -> None:
    assert not jsonschema_rs.validator_for(_schema_file("roles")).is_valid(record)
    assert schema.problems(record, schema.load_schema("roles"))


def test_community_record_has_charter_settings_cluster_and_provenance(
    community: Community,
) -> None:
    community.cluster = Cluster.objects.create(name="Long COVID", slug="long-covid")
    community.save(update_fields=["cluster"])
    (record,) = records(export_bytes(community), "community")
    assert record["charter"] == community.charter
    assert record["visibility"] == "public"
    assert record["size_cap"] == community.size_cap
    assert record["cluster"]["name"] == "Long COVID"
    assert record["provenance"]["imported_from"] == ""


def test_community_avatar_travels_as_media(community: Community) -> None:
    community.avatar.save("face.png", ContentFile(png()))
    data = export_bytes(community)
    assert entries(data)["media/avatar.png"] == png()
    assert records(data, "community")[0]["avatar"] == "media/avatar.png"


# Privacy ---------------------------------------------------------------------


def test_only_members_who_consented_carry_their_display_name(
    community: Community, member: User, carer: User
) -> None:
    consent(member)
    consent(carer, given=True)
    consent(carer, given=False)  # the latest decision counts
    data = export_bytes(community)
    members = records(data, "members")
    named = [record for record in members if record["portable"]]
    assert [record["display_name"] for record in named] == ["Mo Member"]
    for record in members:
        if not record["portable"]:
            assert set(record) == {"ref", "portable"}
    assert [record["email"] for record in named] == [member.email]
    everything = b"".join(entries(data).values())
    for user in User.objects.exclude(pk=member.pk):
        assert user.email.encode() not in everything
    assert b"Cass Carer" not in everything
    assert b"Olu Organiser" not in everything


def test_pseudonyms_differ_between_exports_and_match_within_one(
    community: Community,
) -> None:
    first, second = export_bytes(community), export_bytes(community)
    refs = {record["ref"] for record in records(first, "members")}
    assert refs == {record["member"] for record in records(first, "roles")}
    assert refs.isdisjoint(record["ref"] for record in records(second, "members"))


def test_departures_are_pseudonymous_with_the_members_choice(
    community: Community,
) -> None:
    left = factories.make_user("Lee Leaver")
    Departure.objects.create(community=community, user=left, keep_posts=False)
    data = export_bytes(community)
    (departure,) = records(data, "departures")
    assert departure["keep_posts"] is False
    assert departure["member"].startswith("m-")
    assert b"Lee Leaver" not in b"".join(entries(data).values())


def test_author_ref_names_only_consenting_members(
    community: Community, member: User, carer: User
) -> None:
    consent(member)
    took, kept = factories.make_user(), factories.make_user()
    Departure.objects.create(community=community, user=took, keep_posts=False)
    Departure.objects.create(community=community, user=kept, keep_posts=True)
    context = kinds.ExportContext.for_community(community)
    assert kinds.author_ref(context, member.pk) == {"member": context.ref(member.pk)}
    assert kinds.author_ref(context, carer.pk) == {"placeholder": "a former member"}
    assert kinds.author_ref(context, kept.pk) == {"placeholder": "a former member"}
    assert kinds.author_ref(context, took.pk) is None


# Streaming -------------------------------------------------------------------


def test_export_memory_stays_flat_for_thousands_of_members(
    community: Community, tmp_path: Path
) -> None:
    people = User.objects.bulk_create(
        User(email=f"bulk{number}@example.org", password="!") for number in range(5000)
    )
    Membership.objects.bulk_create(
        Membership(community=community, user=user) for user in people
    )
    tracemalloc.start()
    try:
        with (tmp_path / "big.zip").open("wb") as target:
            manifest = services.export_to_file(None, community=community, target=target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert manifest["counts"]["members"] == 5004
    # Model instances for 5,000 rows alone would take more than this.
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB"


# The pages -------------------------------------------------------------------


def test_organiser_exports_in_the_background_and_downloads(
    community: Community,
    organiser: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(organiser)
    assert client.get(f"/c/{community.slug}/export/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/c/{community.slug}/export/")
    export = ArchiveExport.objects.get(community=community)
    assert response["Location"] == f"/c/{community.slug}/export/{export.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'value="100"' in page
    assert "Download the archive" in page
    export.refresh_from_db()
    assert export.status == ArchiveExport.Status.DONE
    assert export.done_records == export.total_records == 9
    download = client.get(f"/c/{community.slug}/export/{export.pk}/download")
    archive = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert json.loads(entries(archive)["manifest.json"])["counts"]["roles"] == 4
    actions = AuditEvent.objects.filter(actor=organiser).values_list(
        "action", flat=True
    )
    assert set(actions) >= {"community.export", "community.export.download"}
    assert not AuditEvent.objects.filter(action__startswith="community.export").exclude(
        subject=None
    )


def test_status_page_polls_with_htmx_until_done(
    community: Community, organiser: User, client_for: Callable[[User], Client]
) -> None:
    export = ArchiveExport.objects.create(
        community=community, requested_by=organiser, done_records=3, total_records=12
    )
    client = client_for(organiser)
    url = f"/c/{community.slug}/export/{export.pk}/"
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<h1>" not in partial
    assert 'hx-trigger="every 2s"' in partial
    assert 'value="25"' in partial
    assert f'href="{url}"' in partial  # the refresh link without JavaScript


def test_only_organisers_of_this_community_see_its_exports(
    community: Community,
    hidden_community: Community,
    organiser: User,
    moderator: User,
    outsider: User,
    client_for: Callable[[User], Client],
) -> None:
    other = ArchiveExport.objects.create(community=hidden_community)
    organiser_client = client_for(organiser)
    wrong = f"/c/{community.slug}/export/{other.pk}/"
    assert organiser_client.get(wrong).status_code == 404
    not_done = ArchiveExport.objects.create(community=community)
    download = f"/c/{community.slug}/export/{not_done.pk}/download"
    assert organiser_client.get(download).status_code == 404
    assert client_for(moderator).get(f"/c/{community.slug}/export/").status_code == 403
    hidden = f"/c/{hidden_community.slug}/export/"
    assert client_for(outsider).get(hidden).status_code == 404


def test_administrator_imports_through_the_upload_page(
    community: Community,
    administrator: User,
    client_for: Callable[[User], Client],
) -> None:
    upload = ContentFile(export_bytes(community), name="archive.zip")
    response = client_for(administrator).post(
        "/communities/import/", {"archive": upload, "slug": "moved-here"}
    )
    imported = Community.objects.get(slug="moved-here")
    assert response["Location"] == reverse("communities:detail", args=[imported.slug])


def test_the_upload_page_names_the_problem_of_a_bad_archive(
    community: Community,
    administrator: User,
    client_for: Callable[[User], Client],
) -> None:
    before = Community.objects.count()
    upload = ContentFile(b"garbage", name="archive.zip")
    response = client_for(administrator).post(
        "/communities/import/", {"archive": upload}
    )
    assert response.status_code == 200
    assert "This archive cannot be imported: This is not a zip file" in (
        response.content.decode()
    )
    assert Community.objects.count() == before


def test_the_upload_page_does_not_exist_for_others(
    member: User, client_for: Callable[[User], Client]
) -> None:
    assert client_for(member).get("/communities/import/").status_code == 404


# The commands ----------------------------------------------------------------


def test_export_and_import_commands(
    community: Community, administrator: User, tmp_path: Path
) -> None:
    output, errors = io.StringIO(), io.StringIO()
    path = tmp_path / "archive.zip"
    call_command(
        "export_community",
        community.slug,
        "-o",
        str(path),
        stdout=output,
        stderr=errors,
    )
    assert "100% 9/9" in errors.getvalue()
    assert "Exported" in output.getvalue()
    call_command(
        "import_community",
        str(path),
        "--slug",
        "from-the-command-line",
        "--organiser",
        administrator.email,
        stdout=io.StringIO(),
    )
    imported = Community.objects.get(slug="from-the-command-line")
    assert imported.memberships.get().user == administrator


def test_import_command_names_the_problem(
    community: Community, administrator: User, tmp_path: Path
) -> None:
    path = tmp_path / "archive.zip"
    path.write_bytes(export_bytes(community))
    with pytest.raises(CommandError, match="Nothing was imported: A community with"):
        call_command("import_community", str(path), "--organiser", administrator.email)
    with pytest.raises(CommandError, match="--organiser"):
        call_command("import_community", str(path))
    with pytest.raises(CommandError, match="no community with the slug"):
        call_command("export_community", "nowhere", "-o", str(path))


def test_consenting_members_are_invited_back_by_email_and_join_when_they_accept(
    community: Community,
    member: User,
    carer: User,
    administrator: User,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from kinwell.communities import services as community_services
    from kinwell.communities.access import my_invitations

    consent(member)
    data = export_bytes(community)
    community.slug = "moved-away"
    community.save(update_fields=["slug"])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        imported = services.import_archive(
            administrator, stream=io.BytesIO(data), slug=None
        )
    addressed = imported.member_invitations.exclude(email="")
    assert [i.email for i in addressed] == [member.email]
    assert [m.to for m in mailoutbox] == [[member.email]]
    # Only the consenting member is reachable; nobody is enrolled yet.
    assert imported.member_invitations.filter(email="").count() == 3
    assert list(imported.memberships.values_list("user", flat=True)) == [
        administrator.pk
    ]
    assert list(my_invitations(carer)) == []
    invitation = my_invitations(member).get()
    client = Client()
    client.force_login(member)
    assert imported.name in client.get("/communities/mine/").content.decode()
    community_services.answer_invitation(member, invitation=invitation, accept=True)
    assert imported.memberships.filter(user=member, role="member").exists()
