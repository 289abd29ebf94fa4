from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .forms import AdminLoginForm
from .models import User

admin.site.register(User, UserAdmin)
# The admin has a log-in page of its own: the same limits guard it.
admin.site.login_form = AdminLoginForm
