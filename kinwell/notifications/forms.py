from typing import Any

from django import forms

from kinwell.notifications.access import CommunitySettings

CHOICES = ("email_replies", "digest", "watch_community")


class SettingsForm(forms.Form):
    """Three checkboxes for each of the member's communities, named
    "<community id>-<choice>"; unticked boxes are simply absent."""

    def __init__(
        self, data: Any = None, *, rows: list[CommunitySettings], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.rows = rows
        for row in rows:
            for choice in CHOICES:
                field = row.settings._meta.get_field(choice)
                self.fields[self.name_for(row, choice)] = forms.BooleanField(
                    label=str(field.verbose_name),  # type: ignore[union-attr]
                    required=False,
                    initial=getattr(row.settings, choice),
                )

    @staticmethod
    def name_for(row: CommunitySettings, choice: str) -> str:
        return f"{row.community.pk}-{choice}"

    def groups(self) -> list[tuple[CommunitySettings, list[forms.BoundField]]]:
        """Each community with its three boxes, for the template."""
        return [
            (row, [self[self.name_for(row, choice)] for choice in CHOICES])
            for row in self.rows
        ]

    def choices_for(self, row: CommunitySettings) -> dict[str, bool]:
        return {
            choice: bool(self.cleaned_data[self.name_for(row, choice)])
            for choice in CHOICES
        }
