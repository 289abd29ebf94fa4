from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import LoginForm

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    # Since Django 5.0 logging out takes a POST: a link or an <img> can't log you out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
