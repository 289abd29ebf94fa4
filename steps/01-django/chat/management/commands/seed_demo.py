from django.core.management.base import BaseCommand

from chat.models import Room


class Command(BaseCommand):
    help = "Create the demo room 'lobby'. Running it again changes nothing."

    def handle(self, *args, **options):
        room, created = Room.objects.get_or_create(slug="lobby", defaults={"name": "Lobby"})
        verb = "Created" if created else "Kept"
        self.stdout.write(f"{verb} the room {room.name!r} at {room.get_absolute_url()}")
