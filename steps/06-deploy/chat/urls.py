from django.urls import path

from . import views

app_name = "chat"

urlpatterns = [
    path("", views.room_list, name="room_list"),
    path("new/", views.room_create, name="room_create"),
    path("join/", views.room_join, name="room_join"),
    path("join/<slug:code>/", views.invite, name="invite"),
    path("rooms/<slug:slug>/", views.room_detail, name="room"),
]
