from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from chat.models import Room

DEMO_USERS = ["alice", "bob"]
DEMO_PASSWORD = "talk-in-real-time"


class Command(BaseCommand):
    help = (
        "Create the demo users alice and bob in the room 'lobby'. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site", default="http://127.0.0.1:8000", help="where the links it prints point"
        )

    def handle(self, *args, site, **options):
        User = get_user_model()
        room, created = Room.objects.get_or_create(slug="lobby", defaults={"name": "Lobby"})
        verb = "Created" if created else "Kept"
        self.stdout.write(f"{verb} the room {room.name!r} at {site}{room.get_absolute_url()}")
        for username in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username, password=DEMO_PASSWORD)
                self.stdout.write(f"Created the user {username!r}")
            room.members.add(user)
        self.stdout.write(
            f"Log in as {' or '.join(DEMO_USERS)} with the password {DEMO_PASSWORD!r}"
        )
        self.stdout.write(f"Invite others to the lobby with {site}{room.get_invite_url()}")
