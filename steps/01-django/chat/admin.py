from django.contrib import admin

from .models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    readonly_fields = ["slug", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["room", "author_name", "body", "created_at"]
    list_filter = ["room"]
    search_fields = ["body", "author_name"]
