from django.contrib.auth.forms import UserCreationForm

from .models import User


class SignupForm(UserCreationForm):
    """Django's sign-up form (password validation included), for our user model."""

    class Meta(UserCreationForm.Meta):
        model = User
