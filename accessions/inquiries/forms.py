"""The public rights-inquiry form."""

from django import forms

from accessions.inquiries.models import MESSAGE_MAX_LENGTH, RightsInquiry

# What Django puts in place of bytes that are not UTF-8 when it decodes a request.
UNDECODABLE = "\ufffd"


class RightsInquiryForm(forms.ModelForm):
    # A honeypot: hidden from people, filled in by bots that complete every field.
    website = forms.CharField(required=False, label="Leave this field empty")

    class Meta:
        model = RightsInquiry
        fields = ["name", "email", "organisation", "intended_use", "document_part", "message"]
        labels = {
            "name": "Your name",
            "email": "Your email address",
            "organisation": "Organisation (optional)",
            "document_part": "Part of the document concerned (optional)",
            "message": "Your question",
        }
        help_texts = {
            "document_part": "For example a page, a paragraph or an image.",
            "message": f"Up to {MESSAGE_MAX_LENGTH:,} characters.",
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 8})}
        error_messages = {
            "name": {"required": "Please give your name."},
            "email": {
                "required": "Please give an email address so that we can answer you.",
                "invalid": "Please give a valid email address, like name@example.org.",
            },
            "intended_use": {"required": "Please choose how you intend to use the document."},
            "message": {"required": "Please write your question."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].max_length = MESSAGE_MAX_LENGTH
        self.fields["message"].widget.attrs["maxlength"] = MESSAGE_MAX_LENGTH
        self.fields["intended_use"].choices = [("", "Choose…"), *RightsInquiry.IntendedUse.choices]

    def clean_email(self):
        """The address with its domain in IDNA (ASCII) form, which every mail server reads.

        (The field's validator already refuses a non-ASCII part before the @, which would
        need SMTPUTF8.)
        """
        local_part, _, domain = self.cleaned_data["email"].rpartition("@")
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise forms.ValidationError(self.fields["email"].error_messages["invalid"]) from None
        return f"{local_part}@{ascii_domain.lower()}"

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and UNDECODABLE in value:
                self.add_error(
                    name,
                    "This contains characters that could not be read. Please send the text "
                    "as UTF-8, for example by typing it again.",
                )
        return cleaned

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def cleaned_data_for_submission(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
