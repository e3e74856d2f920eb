from django.urls import path

from tiers.places import views

app_name = "places"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("lieux/nouveau/", views.create, name="create"),
    path("lieux/<slug:slug>/", views.detail, name="detail"),
    path("lieux/<slug:slug>/modifier/", views.edit, name="edit"),
    path("lieux/<slug:slug>/photos/", views.photos, name="photos"),
    path("lieux/<slug:slug>/photos/<int:pk>/supprimer/", views.photo_delete, name="photo_delete"),
    path("lieux/<slug:slug>/rejoindre/", views.join, name="join"),
    path("lieux/<slug:slug>/quitter/", views.leave, name="leave"),
    path("lieux/<slug:slug>/membres/", views.members, name="members"),
    path(
        "lieux/<slug:slug>/membres/<int:pk>/<str:action>/",
        views.member_action,
        name="member_action",
    ),
    path("reseaux/", views.network_list, name="networks"),
    path("reseaux/<slug:slug>/", views.network_detail, name="network"),
    path("reseaux/<slug:slug>/modifier/", views.network_edit, name="network_edit"),
]
