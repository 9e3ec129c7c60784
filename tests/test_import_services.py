"""`kinwell import-services <csv>`: service trees from a CSV file, checked
whole before anything is written."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kinwell.accounts.models import AuditEvent
from kinwell.cli import main
from kinwell.stories.importer import import_services
from kinwell.stories.models import Organisation, Service

HEADER = "organisation,organisation_code,site,department,service,code,location\n"
TREE = (
    HEADER
    + "Leeds Teaching Hospitals,RR8,,,,,Leeds\n"
    + "Leeds Teaching Hospitals,,St James's,,,RR813,Beckett Street\n"
    + "Leeds Teaching Hospitals,,St James's,Maternity,,,\n"
    + "Leeds Teaching Hospitals,,St James's,Maternity,Antenatal clinic,,Gledhow wing\n"
    + "Leeds Teaching Hospitals,,,,Patient transport,,\n"
    + "Calder Hospice,XYZ1,Main house,,Day therapy,,Halifax\n"
)


def _write(tmp_path: Path, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / "services.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def _run(path: Path) -> str:
    return str(call_command("import_services", str(path)) or "")


def _node(name: str) -> Service:
    return Service.objects.select_related("parent").get(name=name)


@pytest.mark.django_db
def test_a_file_builds_the_trees_with_their_paths(tmp_path, capsys):
    call_command("import_services", str(_write(tmp_path, TREE)))
    out = capsys.readouterr().out
    assert "Organisations: 2 created, 0 updated." in out
    assert "Services: 6 created, 0 updated." in out
    leeds = Organisation.objects.get(name="Leeds Teaching Hospitals")
    assert (leeds.code, leeds.location, leeds.slug) == (
        "RR8",
        "Leeds",
        "leeds-teaching-hospitals",
    )
    site, clinic = _node("St James's"), _node("Antenatal clinic")
    assert (site.kind, site.code, site.location) == ("site", "RR813", "Beckett Street")
    assert clinic.kind == "service"
    assert clinic.location == "Gledhow wing"
    maternity = _node("Maternity")
    assert maternity.kind == "department"
    assert maternity.parent == site
    assert clinic.path == f"/{site.pk}/{maternity.pk}/{clinic.pk}/"
    transport = _node("Patient transport")
    assert transport.parent is None
    assert transport.path == f"/{transport.pk}/"
    hospice = Organisation.objects.get(name="Calder Hospice")
    assert hospice.code == "XYZ1"
    day = _node("Day therapy")
    assert day.organisation == hospice
    assert day.parent is not None
    assert day.parent.name == "Main house"
    assert day.location == "Halifax"
    assert AuditEvent.objects.filter(action="organisation.import").count() == 2


@pytest.mark.django_db
def test_importing_again_updates_instead_of_duplicating(tmp_path, capsys):
    _run(_write(tmp_path, TREE))
    capsys.readouterr()
    changed = TREE.replace("Gledhow wing", "Chancellor wing")
    call_command("import_services", str(_write(tmp_path, changed)))
    out = capsys.readouterr().out
    assert "Organisations: 0 created, 0 updated." in out
    assert "Services: 0 created, 1 updated." in out
    assert Service.objects.count() == 6
    assert Organisation.objects.count() == 2
    assert _node("Antenatal clinic").location == "Chancellor wing"


@pytest.mark.django_db
def test_an_existing_tree_gains_only_what_is_new(tmp_path):
    _run(_write(tmp_path, TREE))
    more = HEADER + "Leeds Teaching Hospitals,RR8,St James's,Maternity,Scans,,\n"
    report = import_services(
        [
            dict(zip(HEADER.strip().split(","), line.split(","), strict=True))
            for line in more.strip().splitlines()[1:]
        ]
    )
    assert report.ok, report.errors
    assert (report.services_created, report.services_updated) == (1, 0)
    scans = _node("Scans")
    assert scans.parent == _node("Maternity")
    assert scans.path.startswith(_node("Maternity").path)


@pytest.mark.django_db
def test_a_byte_order_mark_is_fine(tmp_path):
    _run(_write(tmp_path, TREE, bom=True))
    assert Organisation.objects.filter(name="Leeds Teaching Hospitals").exists()


@pytest.mark.django_db
def test_bad_rows_are_reported_by_line_and_nothing_is_written(tmp_path, capsys):
    bad = (
        TREE
        + ",,Orphan site,,,,\n"  # line 8
        + f"Leeds Teaching Hospitals,,{'x' * 161},,,,\n"  # line 9
        + "Leeds Teaching Hospitals,,St James's,Maternity,,,\n"  # line 10
        + "Another Trust,RR8,,,,,\n"  # line 11
    )
    with pytest.raises(CommandError, match="Nothing was imported: 4 bad rows"):
        call_command("import_services", str(_write(tmp_path, bad)))
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "line 8: the organisation's name is missing"
    assert err[1].startswith("line 9: the name 'xxx")
    assert "longer than 160 characters" in err[1]
    assert err[2] == "line 10: repeats line 4"
    assert err[3].startswith("line 11: the code RR8 is also used by")
    assert Organisation.objects.count() == 0
    assert Service.objects.count() == 0


@pytest.mark.django_db
def test_unknown_columns_are_refused(tmp_path, capsys):
    path = _write(tmp_path, "organisation,site,ward\nLeeds,St James's,Ward 5\n")
    with pytest.raises(CommandError):
        call_command("import_services", str(path))
    err = capsys.readouterr().err
    assert "line 1: unknown column set: expected organisation,organisation_code," in err
    assert "found organisation,site,ward" in err
    assert Organisation.objects.count() == 0


@pytest.mark.django_db
def test_a_row_with_too_many_values_is_refused(tmp_path, capsys):
    path = _write(tmp_path, HEADER + "Leeds,,Site,,,,,extra\n")
    with pytest.raises(CommandError):
        call_command("import_services", str(path))
    assert "line 2: more values than columns" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_code_of_an_existing_organisation_is_refused(tmp_path, capsys):
    Organisation.objects.create(name="Bradford Teaching", slug="bradford", code="RAE")
    path = _write(tmp_path, HEADER + "Airedale,RAE,,,,,\n")
    with pytest.raises(CommandError):
        call_command("import_services", str(path))
    assert (
        "line 2: the code RAE belongs to the organisation 'Bradford Teaching'"
        in capsys.readouterr().err
    )
    assert not Organisation.objects.filter(name="Airedale").exists()


@pytest.mark.django_db
def test_one_organisation_with_two_codes_is_refused(tmp_path, capsys):
    path = _write(tmp_path, HEADER + "Leeds,RR8,,,,,\nLeeds,RR9,Site,,,,\n")
    with pytest.raises(CommandError):
        call_command("import_services", str(path))
    assert "line 3: 'Leeds' has another code on line 2 (RR8)" in (
        capsys.readouterr().err
    )


@pytest.mark.django_db
def test_a_name_used_as_two_kinds_is_refused(tmp_path, capsys):
    text = HEADER + "Leeds,,Outpatients,,,,\nLeeds,,,,Outpatients,,\n"
    with pytest.raises(CommandError):
        call_command("import_services", str(_write(tmp_path, text)))
    err = capsys.readouterr().err
    assert "line 3: 'Outpatients' is a service here but a site on line 2" in err
    assert Service.objects.count() == 0


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "Hôpital,,,,,,\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_services", str(path))
    assert Organisation.objects.count() == 0


@pytest.mark.django_db
def test_the_kinwell_command_exits_non_zero_with_the_report(tmp_path, capsys):
    bad = _write(tmp_path, HEADER + ",,Site,,,,\n")
    assert main(["import-services", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 2: the organisation's name is missing" in err
    assert "kinwell: Nothing was imported: 1 bad row." in err
    assert main(["import-services", str(_write(tmp_path, TREE))]) == 0
    assert "Services: 6 created" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["import-services", str(tmp_path / "nowhere.csv")]) == 1
    assert "There is no file" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_value_csv_cannot_read_is_reported_and_nothing_is_written(tmp_path, capsys):
    huge = "x" * 200_000  # beyond the csv module's field size limit
    path = _write(tmp_path, TREE + f'"{huge}",,,,,,\n')
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_services", str(path))
    reported = capsys.readouterr().err
    assert "line 8: unreadable: field larger than field limit" in reported
    assert Organisation.objects.count() == 0


@pytest.mark.django_db
def test_a_nul_character_is_refused(tmp_path, capsys):
    path = _write(tmp_path, TREE + "Leeds Teaching Hospitals,,Si\x00te,,,,\n")
    with pytest.raises(CommandError, match="Nothing was imported: 1 bad row"):
        call_command("import_services", str(path))
    assert "line 8: a value holds a NUL character" in capsys.readouterr().err
    assert Organisation.objects.count() == 0
