import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiers.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the URL map) lives as long as the process: keep
# it out of the garbage collector's full passes, which otherwise walk it all every few large
# requests and show up as latency spikes.
gc.freeze()
