from django.urls import path

from tiers.commons import views, views_history, views_remix, views_search

app_name = "commons"

P = "communs/pages/<str:slug>/"

urlpatterns = [
    path("communs/", views.index, name="index"),
    path("communs/nouvelle", views.create, name="create"),
    path("communs/recherche", views_search.search, name="search"),
    path("communs/etiquettes/<str:slug>/", views.tag, name="tag"),
    path("communs/modifications-recentes", views_history.recent, name="recent"),
    path("communs/modifications-recentes.rss", views_history.recent_rss, name="recent_rss"),
    path("communs/modifications-recentes.atom", views_history.recent_atom, name="recent_atom"),
    path("communs/pages-demandees", views_history.wanted, name="wanted"),
    path("communs/suivi", views_history.watchlist, name="watchlist"),
    path("communs/suivi/<str:key>.atom", views_history.watchlist_feed, name="watchlist_feed"),
    path("communs/contributions/<int:user_id>/", views_history.contributions, name="contributions"),
    path(P, views.page, name="page"),
    path(P + "modifier", views.edit, name="edit"),
    path(P + "proteger", views.protect, name="protect"),
    path(P + "suivre", views.watch, name="watch"),
    path(P + "discussion", views.discussion, name="discussion"),
    path(P + "fichiers", views.attachments, name="attachments"),
    path(P + "fichiers/<str:name>", views.attachment, name="attachment"),
    path(P + "fichiers/<str:name>/supprimer", views.attachment_delete, name="attachment_delete"),
    path(P + "utilisation", views.use, name="use"),
    path(P + "historique", views_history.history, name="history"),
    path(P + "historique.atom", views_history.page_atom, name="page_atom"),
    path(P + "versions/<int:number>/", views_history.revision, name="revision"),
    path(P + "versions/<int:number>/restaurer", views_history.revert, name="revert"),
    path(P + "versions/<int:number>/masquer", views_history.hide, name="hide"),
    path(P + "diff", views_history.diff, name="diff"),
    path(P + "annuler", views_history.rollback, name="rollback"),
    path(P + "liens", views_history.backlinks, name="backlinks"),
    path(P + "adapter", views_remix.remix, name="remix"),
    path(P + "export.md", views_remix.export_markdown, name="export_markdown"),
    path(P + "export.zip", views_remix.export_zip, name="export_zip"),
    path(P + "imprimer", views_remix.printable, name="print"),
    path(P + "qr.svg", views_remix.qr_svg, name="qr_svg"),
    path(P + "qr.png", views_remix.qr_png, name="qr_png"),
    path(P + "affiche", views_remix.poster, name="poster"),
    path("lieux/<slug:slug>/documentation/", views.place_tree, name="place_tree"),
    path("reseaux/<slug:slug>/documentation/", views.network_tree, name="network_tree"),
]
