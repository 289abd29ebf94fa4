from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError

from . import limits
from .models import User


class SignupForm(UserCreationForm):
    """Django's sign-up form (password validation included), for our user model."""

    class Meta(UserCreationForm.Meta):
        model = User


PAUSED = {
    "account": "Too many failed log-ins for this account.",
    "address": "Too many failed log-ins from your network.",
}


class LoginForm(AuthenticationForm):
    """Django's log-in form, paused after too many failures."""

    def clean(self):
        username = self.cleaned_data.get("username", "")
        address = self.request.META.get("REMOTE_ADDR", "")
        # Before the password is checked: a refused guess learns nothing and costs no hashing.
        blocked = limits.login_blocked(username, address)
        if blocked:
            wait = f"Wait {limits.PAUSE // 60} minutes, then try again."
            raise ValidationError(f"{PAUSED[blocked]} {wait}", code="too_many_failures")
        try:
            return super().clean()
        except ValidationError:
            limits.count_login_failure(username, address)
            raise


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's own log-in form (staff only), with the same pause."""
