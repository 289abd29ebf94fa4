from django import forms

from .models import Message, Room


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name"]


class JoinRoomForm(forms.Form):
    code = forms.SlugField(label="Room code", max_length=50)

    def clean_code(self):
        code = self.cleaned_data["code"].lower()
        room = Room.objects.filter(slug=code).first()
        if room is None:
            raise forms.ValidationError("There is no room with this code.")
        return room


class DisplayNameForm(forms.Form):
    name = forms.CharField(label="Display name", max_length=40)


class MessageForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ["body"]
        labels = {"body": "Message"}
        widgets = {
            "body": forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": "Say something nice"}
            )
        }
