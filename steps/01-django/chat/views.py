from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import DisplayNameForm, JoinRoomForm, MessageForm, RoomForm
from .models import Room


def render_room_list(request, room_form=None, join_form=None):
    """The room list page; the create and join views re-render it with errors."""
    return render(
        request,
        "chat/room_list.html",
        {
            "rooms": Room.objects.all(),
            "room_form": room_form or RoomForm(),
            "join_form": join_form or JoinRoomForm(),
        },
    )


@require_GET
def room_list(request):
    return render_room_list(request)


@require_POST
def room_create(request):
    form = RoomForm(request.POST)
    if not form.is_valid():
        return render_room_list(request, room_form=form)
    room = form.save()
    return redirect(room)


@require_POST
def room_join(request):
    form = JoinRoomForm(request.POST)
    if not form.is_valid():
        return render_room_list(request, join_form=form)
    return redirect(form.cleaned_data["code"])


@require_http_methods(["GET", "POST"])
def room_detail(request, slug):
    room = get_object_or_404(Room, slug=slug)
    display_name = request.session.get("display_name")
    form = MessageForm()
    if request.method == "POST":
        if not display_name:
            return redirect(f"{reverse('chat:display_name')}?next={room.get_absolute_url()}")
        form = MessageForm(request.POST)
        if form.is_valid():
            form.instance.room = room
            form.instance.author_name = display_name
            form.save()
            # Post/redirect/get: reloading the page must not post the message again.
            return redirect(room)
    return render(
        request,
        "chat/room_detail.html",
        {"room": room, "history": room.recent_messages(), "form": form},
    )


@require_http_methods(["GET", "POST"])
def display_name(request):
    next_url = request.POST.get("next") or request.GET.get("next", "")
    # Only follow `next` to this site, or the form becomes an open redirect.
    is_safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not is_safe or next_url == request.path:
        next_url = reverse("chat:room_list")
    if request.method == "POST":
        form = DisplayNameForm(request.POST)
        if form.is_valid():
            request.session["display_name"] = form.cleaned_data["name"]
            return redirect(next_url)
    else:
        form = DisplayNameForm(initial={"name": request.session.get("display_name")})
    return render(request, "chat/display_name.html", {"form": form, "next": next_url})
