"""The events pages: programmes and event pages, organisers' pages, registration (with an
account or only an e-mail, managed through the e-mail's secret link), ride sharing,
festivals, and the iCalendar / RSS / Atom feeds and the embeddable widget."""

from django.urls import path

from tiers.events import views, views_feeds, views_festivals, views_registrations, views_rides

app_name = "events"

E = "evenements/<slug:slug>"

urlpatterns = [
    # feeds (before the event pages: "evenements.ics" is not an event)
    path("evenements.ics", views_feeds.all_ics, name="all_ics"),
    path("evenements.rss", views_feeds.all_rss, name="all_rss"),
    path("evenements.atom", views_feeds.all_atom, name="all_atom"),
    path("evenements/theme/<slug:tag>.ics", views_feeds.tag_ics, name="tag_ics"),
    path("evenements/theme/<slug:tag>.rss", views_feeds.tag_rss, name="tag_rss"),
    path("evenements/theme/<slug:tag>.atom", views_feeds.tag_atom, name="tag_atom"),
    path("lieux/<slug:slug>/evenements.ics", views_feeds.place_ics, name="place_ics"),
    path("lieux/<slug:slug>/evenements.rss", views_feeds.place_rss, name="place_rss"),
    path("lieux/<slug:slug>/evenements.atom", views_feeds.place_atom, name="place_atom"),
    path("reseaux/<slug:slug>/evenements.ics", views_feeds.network_ics, name="network_ics"),
    path("reseaux/<slug:slug>/evenements.rss", views_feeds.network_rss, name="network_rss"),
    path("reseaux/<slug:slug>/evenements.atom", views_feeds.network_atom, name="network_atom"),
    path("festivals/<slug:slug>/programme.ics", views_feeds.festival_ics, name="festival_ics"),
    path("festivals/<slug:slug>/programme.rss", views_feeds.festival_rss, name="festival_rss"),
    path("festivals/<slug:slug>/programme.atom", views_feeds.festival_atom, name="festival_atom"),
    path(f"{E}/evenement.ics", views_feeds.event_ics, name="event_ics"),
    path("lieux/<slug:slug>/evenements/widget/", views_feeds.widget, name="widget"),
    path("lieux/<slug:slug>/evenements/widget.js", views_feeds.widget_js, name="widget_js"),
    # public pages
    path("evenements/", views.event_list, name="list"),
    path("evenements/theme/<slug:tag>/", views.tag, name="tag"),
    path("lieux/<slug:slug>/evenements/", views.place_events, name="place_events"),
    path("reseaux/<slug:slug>/evenements/", views.network_events, name="network_events"),
    path(f"{E}/", views.detail, name="detail"),
    path(f"{E}/programme/", views.programme, name="programme"),
    # organisers
    path("lieux/<slug:slug>/evenements/nouveau/", views.create_for_place, name="create"),
    path(
        "reseaux/<slug:slug>/evenements/nouveau/",
        views.create_for_network,
        name="network_create",
    ),
    path(f"{E}/modifier/", views.edit, name="edit"),
    path(f"{E}/publier/", views.publish, name="publish"),
    path(f"{E}/annuler/", views.cancel, name="cancel"),
    path(f"{E}/sessions/nouvelle/", views.session_create, name="session_create"),
    path(f"{E}/sessions/<int:pk>/", views.session_edit, name="session_edit"),
    path(f"{E}/sessions/<int:pk>/supprimer/", views.session_delete, name="session_delete"),
    # registration
    path(f"{E}/inscription/", views_registrations.register, name="register"),
    path("inscriptions/", views_registrations.mine, name="mine"),
    path("inscription/<str:token>/", views_registrations.registration, name="registration"),
    path(
        "inscription/<str:token>/<slug:action>/",
        views_registrations.registration_action,
        name="registration_action",
    ),
    path(f"{E}/inscrits/", views_registrations.attendees, name="attendees"),
    path(f"{E}/inscrits.csv", views_registrations.attendees_csv, name="attendees_csv"),
    path(f"{E}/inscrits/imprimer/", views_registrations.attendees_print, name="attendees_print"),
    path(f"{E}/inscrits/ajouter/", views_registrations.attendee_add, name="attendee_add"),
    path(
        f"{E}/inscrits/<int:pk>/<slug:action>/",
        views_registrations.attendee_action,
        name="attendee_action",
    ),
    path(f"{E}/message/", views_registrations.message, name="message"),
    # ride sharing
    path(f"{E}/covoiturage/", views_rides.rides, name="rides"),
    path(f"{E}/covoiturage/proposer/", views_rides.ride_create, name="ride_offer"),
    path(f"{E}/covoiturage/demander/", views_rides.ride_create, name="ride_request"),
    path("covoiturage/<int:pk>/", views_rides.ride, name="ride"),
    path("covoiturage/<int:pk>/<slug:action>/", views_rides.ride_action, name="ride_action"),
    path(
        "covoiturage/places/<int:pk>/<slug:action>/",
        views_rides.seat_action,
        name="seat_action",
    ),
    # festivals
    path("festivals/", views_festivals.festival_list, name="festivals"),
    path("festivals/<slug:slug>/", views_festivals.festival, name="festival"),
    path("festivals/<slug:slug>/modifier/", views_festivals.edit, name="festival_edit"),
    path("festivals/<slug:slug>/propositions/", views_festivals.queue, name="festival_queue"),
    path(
        "reseaux/<slug:slug>/festivals/nouveau/",
        views_festivals.create,
        name="festival_create",
    ),
    path(f"{E}/festival/", views_festivals.submit, name="festival_submit"),
]
