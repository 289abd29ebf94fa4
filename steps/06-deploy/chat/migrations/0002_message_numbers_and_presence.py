# Numbers for messages, and presence rows. Written by hand around what makemigrations
# generates, because existing messages need their numbers before `seq` may be required.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def number_existing_messages(apps, schema_editor):
    """Number each room's messages 1, 2, 3, ... in the order they arrived."""
    Room = apps.get_model("chat", "Room")
    for room in Room.objects.all():
        messages = list(room.messages.order_by("id"))
        for seq, message in enumerate(messages, start=1):
            message.seq = seq
        room.messages.bulk_update(messages, ["seq"])
        room.last_seq = len(messages)
        room.save(update_fields=["last_seq"])


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="room",
            name="last_seq",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        # Nullable at first, so the existing rows can get their numbers...
        migrations.AddField(
            model_name="message",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(number_existing_messages, migrations.RunPython.noop),
        # ...and required from then on.
        migrations.AlterField(
            model_name="message",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                fields=("room", "seq"), name="one_message_per_number"
            ),
        ),
        migrations.CreateModel(
            name="Presence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("channel_name", models.CharField(max_length=100, unique=True)),
                ("last_seen", models.DateTimeField(db_index=True)),
                ("room", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="presences", to="chat.room")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="presences", to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
