from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from .forms import JoinRoomForm, MessageForm, RoomForm
from .models import Room


def render_room_list(request, room_form=None, join_form=None):
    """The room list page; the create and join views re-render it with errors."""
    return render(
        request,
        "chat/room_list.html",
        {
            "rooms": request.user.rooms.all(),
            "room_form": room_form or RoomForm(),
            "join_form": join_form or JoinRoomForm(),
        },
    )


@login_required
@require_GET
def room_list(request):
    return render_room_list(request)


@login_required
@require_POST
def room_create(request):
    form = RoomForm(request.POST)
    if not form.is_valid():
        return render_room_list(request, room_form=form)
    # A room and its first member are created together or not at all.
    with transaction.atomic():
        room = form.save()
        room.members.add(request.user)
    return redirect(room)


@login_required
@require_POST
def room_join(request):
    form = JoinRoomForm(request.POST)
    if not form.is_valid():
        return render_room_list(request, join_form=form)
    form.room.members.add(request.user)
    return redirect(form.room)


@login_required
@require_GET
def room_detail(request, slug):
    room = get_object_or_404(Room, slug=slug)
    if not room.has_member(request.user):
        # Whoever knows the code may join, so offer that instead of a bare error.
        return render(request, "chat/join_prompt.html", {"room": room}, status=403)
    return render(
        request,
        "chat/room_detail.html",
        {"room": room, "history": room.recent_messages(), "form": MessageForm()},
    )
