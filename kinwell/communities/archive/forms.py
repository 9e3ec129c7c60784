from typing import IO

from django import forms

from kinwell.accounts.forms import KinwellForm


class ImportForm(KinwellForm):
    archive = forms.FileField(
        label="Archive file",
        help_text="A .zip file exported from Kinwell.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    slug = forms.SlugField(
        label="Address (slug)",
        max_length=60,
        required=False,
        help_text="Leave empty to keep the archive's own; fill in if it is taken.",
    )

    def archive_stream(self) -> IO[bytes]:
        upload = self.cleaned_data["archive"]
        stream: IO[bytes] = upload.file
        return stream
