"""The bookings pages: members' (book, my bookings), managers' (under `lieux/<slug>/gestion/`:
the day's list, resources, closures, qualifications, time credits, occupancy), and the
iCalendar feeds."""

from django.urls import path

from tiers.bookings import views, views_feeds, views_manage, views_stats

app_name = "bookings"

M = "lieux/<slug:slug>/gestion"

urlpatterns = [
    # members
    path("lieux/<slug:slug>/reservations/", views.place, name="place"),
    path("lieux/<slug:slug>/reservations/<slug:resource>/", views.resource, name="resource"),
    path("lieux/<slug:slug>/reservations/<slug:resource>/reserver/", views.book, name="book"),
    path("reservations/", views.mine, name="mine"),
    path("reservations/calendrier/", views.calendar_feed, name="calendar"),
    path("reservations/<int:pk>/", views.detail, name="detail"),
    path("reservations/<int:pk>/annuler/", views.cancel, name="cancel"),
    # iCalendar feeds
    path(
        "lieux/<slug:slug>/reservations/<slug:resource>/occupation.ics",
        views_feeds.resource_ics,
        name="resource_ics",
    ),
    path("calendrier/<str:token>.ics", views_feeds.private_ics, name="private_ics"),
    # managers
    path(f"{M}/reservations/", views_manage.day, name="manage_day"),
    path(f"{M}/reservations/pour-un-membre/", views_manage.book_for, name="manage_book_for"),
    path(f"{M}/reservations/bloquer/", views_manage.block, name="manage_block"),
    path(
        f"{M}/reservations/<int:pk>/<slug:action>/",
        views_manage.booking_action,
        name="manage_booking_action",
    ),
    path(f"{M}/ressources/", views_manage.resources, name="manage_resources"),
    path(f"{M}/ressources/nouvelle/", views_manage.resource_create, name="manage_resource_create"),
    path(f"{M}/ressources/<int:pk>/", views_manage.resource_edit, name="manage_resource_edit"),
    path(
        f"{M}/ressources/<int:pk>/photo/",
        views_manage.resource_photo,
        name="manage_resource_photo",
    ),
    path(
        f"{M}/ressources/<int:pk>/activation/",
        views_manage.resource_active,
        name="manage_resource_active",
    ),
    path(f"{M}/fermetures/", views_manage.closures, name="manage_closures"),
    path(
        f"{M}/fermetures/<int:pk>/supprimer/",
        views_manage.closure_delete,
        name="manage_closure_delete",
    ),
    path(f"{M}/habilitations/", views_manage.qualifications, name="manage_qualifications"),
    path(
        f"{M}/habilitations/<int:pk>/",
        views_manage.qualification_detail,
        name="manage_qualification",
    ),
    path(
        f"{M}/habilitations/attributions/<int:pk>/retirer/",
        views_manage.qualification_revoke,
        name="manage_qualification_revoke",
    ),
    path(f"{M}/credits/", views_manage.credit_plans, name="manage_credit_plans"),
    path(
        f"{M}/credits/nouveau/",
        views_manage.credit_plan_create,
        name="manage_credit_plan_create",
    ),
    path(f"{M}/credits/<int:pk>/", views_manage.credit_plan_detail, name="manage_credit_plan"),
    path(
        f"{M}/credits/<int:pk>/modifier/",
        views_manage.credit_plan_edit,
        name="manage_credit_plan_edit",
    ),
    path(
        f"{M}/credits/<int:pk>/personnes/<int:user_id>/",
        views_manage.credit_ledger,
        name="manage_credit_ledger",
    ),
    path(f"{M}/occupation/", views_stats.occupancy, name="occupancy"),
    path(f"{M}/occupation.csv", views_stats.occupancy_csv, name="occupancy_csv"),
]
