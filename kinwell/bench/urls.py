"""Mounted by kinwell/urls.py only when settings.KINWELL_BENCH_FLOOR is on."""

from django.urls import path

from kinwell.bench.floor import floor

app_name = "bench"

urlpatterns = [path("bench/floor", floor, name="floor")]
