from django.conf import settings
from django.contrib.auth import login
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from .forms import SignupForm


@require_http_methods(["GET", "POST"])
def signup(request):
    # Like the log-in page, go on to ?next= (an invite link, say), but only on this site.
    next_url = request.POST.get("next") or request.GET.get("next", "")
    is_safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not is_safe:
        next_url = resolve_url(settings.LOGIN_REDIRECT_URL)
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            login(request, form.save())
            return redirect(next_url)
    else:
        form = SignupForm()
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})
