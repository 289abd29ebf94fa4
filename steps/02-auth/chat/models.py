import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.text import slugify

SLUG_SUFFIX_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_invite_code():
    # 128 random bits: nobody guesses this, and it is URL-safe as it is (22 characters).
    return secrets.token_urlsafe(16)


class Room(models.Model):
    name = models.CharField(max_length=80)
    # The slug makes readable URLs; it is no secret, so it lets nobody in.
    slug = models.SlugField(max_length=50, unique=True, editable=False)
    # The invite code lets people in: whoever has the link may join.
    invite_code = models.CharField(
        max_length=22, unique=True, default=new_invite_code, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="rooms")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.slug:
            return super().save(*args, **kwargs)
        # Readable, with a random suffix every time: so the slug of a new room says
        # nothing about which other rooms exist. The unique index decides, not an
        # earlier lookup, so two rooms created at once cannot share a slug.
        base = slugify(self.name)[:40].rstrip("-") or "room"
        for _ in range(5):
            self.slug = f"{base}-{get_random_string(6, SLUG_SUFFIX_CHARS)}"
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                continue
        raise IntegrityError(f"Found no free slug for the room {self.name!r}.")

    def get_absolute_url(self):
        return reverse("chat:room", args=[self.slug])

    def get_invite_url(self):
        return reverse("chat:invite", args=[self.invite_code])

    def has_member(self, user):
        return self.members.filter(pk=user.pk).exists()

    def recent_messages(self, limit=50):
        """The last `limit` messages, oldest first, as the room page shows them."""
        latest = self.messages.select_related("author").order_by("-id")[:limit]
        return list(reversed(latest))


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    body = models.TextField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Ids grow with time, so they order messages cheaply and without ties.
        ordering = ["id"]

    def __str__(self):
        return f"{self.author}: {self.body[:40]}"
