"""Log records in Python: their repr, and saving one that is already stored."""

import pytest

from flame_hub.models import Analysis, AnalysisNodeLog, Node, Project, ProjectNode, UnsupportedOperation


@pytest.fixture
def analysis_node(hub_session):
    node = Node.objects.create(name="log-node", type="aggregator")
    project = Project.objects.create(name="log-project")
    ProjectNode.objects.create(project=project, node=node)
    return Analysis.objects.create(project=project), node


def test_loaded_log_not_marked_unsaved(analysis_node):
    analysis, node = analysis_node
    AnalysisNodeLog(analysis=analysis, node=node, level="info", message="hello").save()

    (loaded,) = AnalysisNodeLog.objects.filter(analysis=analysis, node=node)

    assert "(unsaved)" not in repr(loaded)
    assert "message='hello'" in repr(loaded)


def test_log_time_shown_as_iso_text(analysis_node):
    analysis, node = analysis_node
    log = AnalysisNodeLog(analysis=analysis, node=node, level="info", message="hello")
    log.save()

    assert f"time='{log.time.isoformat()}'" in repr(log)


def test_saved_log_not_posted_twice(analysis_node, fake_hub):
    analysis, node = analysis_node
    log = AnalysisNodeLog(analysis=analysis, node=node, level="info", message="once")
    log.save()

    with pytest.raises(UnsupportedOperation, match="update"):
        log.save()
    assert len(fake_hub.requests_to("/core/analysis-node-logs", "POST")) == 1


def test_long_string_keeps_closing_quote():
    text = repr(Node(name="x" * 100))

    assert "xxx...')" in text
