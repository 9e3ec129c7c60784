"""The import's upload, and the confirmation of discarding records carried
over from an archive. What a file may hold is checked by
kinwell.tracking.io.csv_import."""

from django import forms

from kinwell.accounts.forms import KinwellForm
from kinwell.tracking.io.upload import MiB, limit


class ImportForm(KinwellForm):
    upload = forms.FileField(
        label="Your file",
        help_text=(
            "A .zip exported from Kinwell, or one CSV file in the same format "
            "(for example check_ins.csv). Up to 5 MB."
        ),
        error_messages={"required": "Choose the file to import."},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".zip,.csv,application/zip,text/csv"}
        ),
    )

    def clean_upload(self) -> object:
        upload = self.cleaned_data["upload"]
        most = limit("KINWELL_TRACKING_IMPORT_MAX_BYTES")
        if upload.size > most:
            raise forms.ValidationError(
                f"The file is {upload.size / MiB:.1f} MB; the import takes files up "
                f"to {most / MiB:g} MB. Split it, for example a year at a time."
            )
        return upload

    def name_and_data(self) -> tuple[str, bytes]:
        upload = self.cleaned_data["upload"]
        data: bytes = upload.read(limit("KINWELL_TRACKING_IMPORT_MAX_BYTES") + 1)
        return str(upload.name or ""), data


class DiscardForm(KinwellForm):
    confirm = forms.BooleanField(
        label="Yes, delete these records for good",
        error_messages={
            "required": "Tick the box to confirm that these records should go."
        },
    )
