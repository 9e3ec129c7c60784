"""The shape of what people type into the public stories pages."""

from django import forms

from kinwell.accounts.forms import KinwellForm


class OrganisationSearchForm(KinwellForm):
    q = forms.CharField(label="Name, place or code", max_length=120, required=False)
