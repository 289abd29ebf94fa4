from django.contrib import admin

from .models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    readonly_fields = ["slug", "invite_code", "created_at"]
    search_fields = ["name", "slug"]
    filter_horizontal = ["members"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["room", "seq", "author", "body", "created_at"]
    list_filter = ["room"]
    search_fields = ["body", "author__username"]

    def has_add_permission(self, request):
        # Messages are posted in the chat, where Room.post() numbers them.
        return False
