from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.models import User

from locatr.mfa.selectors import users_with_second_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


if TYPE_CHECKING:
    _UserChoiceBase = forms.ModelChoiceField[User]
else:  # not subscriptable at run time
    _UserChoiceBase = forms.ModelChoiceField


class UserChoiceField(_UserChoiceBase):
    def label_from_instance(self, obj: User) -> str:
        full_name = obj.get_full_name()
        return f"{obj.username} ({full_name})" if full_name else obj.username


class ResetForm(forms.Form):
    user = UserChoiceField(
        label="Whose second factor", queryset=User.objects.none(), empty_label=None
    )
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: phone lost, ticket 1234. It goes to the audit trail.",
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, UserChoiceField)  # noqa: S101 (for the type checker)
        field.queryset = users_with_second_factor(exclude=actor)
