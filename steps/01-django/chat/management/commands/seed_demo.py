from django.core.management.base import BaseCommand

from chat.models import Room


class Command(BaseCommand):
    help = "Create the demo room 'lobby'. Running it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--site", default="http://127.0.0.1:8000", help="where the links it prints point"
        )

    def handle(self, *args, site, **options):
        room, created = Room.objects.get_or_create(slug="lobby", defaults={"name": "Lobby"})
        verb = "Created" if created else "Kept"
        self.stdout.write(f"{verb} the room {room.name!r} at {site}{room.get_absolute_url()}")
