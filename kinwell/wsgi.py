import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinwell.settings")
application = get_wsgi_application()
# What loading made (models, URLs, templates) lives as long as the process:
# set it aside, so that the garbage collector's full passes, which pause a
# request now and then, walk only what requests make.
gc.freeze()
