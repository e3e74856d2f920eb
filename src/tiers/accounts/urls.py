from django.contrib.auth import views as auth_views
from django.urls import path

from tiers.accounts import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("inscription/", views.signup, name="signup"),
    path("profil/", views.profile, name="profile"),
]
