"""Walking analyses with their project and realm costs at most 3 requests per 50-row page with include/prefetch.

This is the request-count target of the benchmarks; it counts requests, so it is a test, while
the speed targets stay in the benchmarks.
"""

from __future__ import annotations

from flame_hub import Session
from flame_hub.auth import PasswordAuth
from flame_hub.models import Analysis, Project, Realm

ANALYSES = 120
PAGE_SIZE = 50


def test_walk_costs_three_requests_per_page(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as session:
        realm = Realm.objects.using(session).get(name="master")
        projects = [Project.objects.using(session).create(name=f"proj-{index}") for index in range(4)]
        for index in range(ANALYSES):
            Analysis.objects.using(session).create(project=projects[index % len(projects)])
        session.clear()
        del projects
        fake_hub.clear_requests()

        walked = [
            (analysis.project.name, analysis.project.realm.name)
            for analysis in Analysis.objects.using(session).include("project").prefetch("realm")
        ]

    pages = -(-ANALYSES // PAGE_SIZE)
    resource_requests = [request for request in fake_hub.requests if request.path != "/auth/token"]
    assert len(walked) == ANALYSES
    assert {realm_name for _, realm_name in walked} == {realm.name}
    assert len(fake_hub.requests_to("/core/analyses", "GET")) == pages
    assert len(resource_requests) <= 3 * pages
    assert all(request.query.startswith("filter[id]=") for request in fake_hub.requests_to("/auth/realms", "GET"))
