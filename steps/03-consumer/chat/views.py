from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import JoinRoomForm, MessageForm, RoomForm
from .limits import count_join_failure, join_blocked
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


def too_many_joins(request):
    return render(request, "chat/too_many_joins.html", status=429)


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
    """The room list's join form, which takes an invite link or its code."""
    if join_blocked(request.user):
        return too_many_joins(request)
    form = JoinRoomForm(request.POST)
    if not form.is_valid():
        count_join_failure(request.user)
        return render_room_list(request, join_form=form)
    room = form.cleaned_data["invite"]
    room.members.add(request.user)
    return redirect(room)


@login_required
@require_http_methods(["GET", "POST"])
def invite(request, code):
    """An invite link. Opening it only asks: a GET must never change anything."""
    if join_blocked(request.user):
        return too_many_joins(request)
    form = JoinRoomForm({"invite": code})
    if not form.is_valid():
        count_join_failure(request.user)
        raise Http404("This invite link is not valid.")
    room = form.cleaned_data["invite"]
    if request.method == "POST":
        room.members.add(request.user)
        return redirect(room)
    if room.has_member(request.user):
        return redirect(room)
    return render(request, "chat/invite.html", {"room": room})


@login_required
@require_GET
def room_detail(request, slug):
    # To anyone but a member, a room looks exactly like one that does not exist.
    room = get_object_or_404(Room, slug=slug, members=request.user)
    return render(
        request,
        "chat/room_detail.html",
        {
            "room": room,
            "history": room.recent_messages(),
            "form": MessageForm(),
            "invite_url": request.build_absolute_uri(room.get_invite_url()),
        },
    )
