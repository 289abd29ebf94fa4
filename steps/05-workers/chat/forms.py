from django import forms

from .models import Message, Room


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name"]


class JoinRoomForm(forms.Form):
    invite = forms.CharField(label="Invite link or code", max_length=200)

    def clean_invite(self):
        # The whole link (http://.../join/<code>/) or only the code after its last "/".
        code = self.cleaned_data["invite"].rstrip("/").rsplit("/", 1)[-1]
        room = Room.objects.filter(invite_code=code).first()
        if room is None:
            raise forms.ValidationError("This invite link is not valid.")
        return room


class MessageForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ["body"]
        labels = {"body": "Message"}
        widgets = {
            "body": forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": "Say something nice, or /help"}
            )
        }
