"""The project's URLs, plus viewflow's own views of the peer-baseline flow (bench/flows.py)."""

from django.urls import path
from viewflow.workflow.flow import FlowViewset

from bench.flows import BaselineRecordFlow
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("bench-viewflow/", FlowViewset(BaselineRecordFlow).urls),
]
