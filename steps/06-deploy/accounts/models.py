from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Backchat's user. Empty for now, but ours: fields can be added at any time.

    Django's docs recommend a custom user model for every new project, because
    switching `AUTH_USER_MODEL` after the first migration is a painful job.
    """
