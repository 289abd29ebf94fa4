import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
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
    # The number of the newest message: each room counts its own, 1, 2, 3, ...
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)

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
        latest = self.messages.select_related("author").order_by("-seq")[:limit]
        return list(reversed(latest))

    def messages_after(self, seq, limit):
        """Up to `limit` messages numbered after `seq`, oldest first."""
        newer = self.messages.select_related("author").filter(seq__gt=seq)
        return list(newer.order_by("seq")[:limit])

    def post(self, author, body):
        """Save a message with the room's next number: no number is skipped or used twice."""
        with transaction.atomic():
            # The UPDATE locks the room's row until the commit, so posts to one room
            # take their numbers one after the other; a rollback gives its number back.
            Room.objects.filter(pk=self.pk).update(last_seq=F("last_seq") + 1)
            seq = Room.objects.values_list("last_seq", flat=True).get(pk=self.pk)
            return self.messages.create(author=author, body=body, seq=seq)


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    body = models.TextField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    seq = models.PositiveBigIntegerField(editable=False)  # its number in the room

    class Meta:
        # Ids grow with time, so they order messages cheaply and without ties.
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="one_message_per_number")
        ]

    def __str__(self):
        return f"{self.author}: {self.body[:40]}"

    @property
    def is_command(self):
        """A command's answer, such as a roll: the consumer runs any "/" text it is sent."""
        return self.body.startswith("/")


class Presence(models.Model):
    """One open socket in a room: whose it is, and when we last heard from it."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presences"
    )
    channel_name = models.CharField(max_length=100, unique=True)
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.user} in {self.room}"
