"""Replay every recorded exchange with a real Hub against the fake Hub and compare the responses.

Select one scenario with ``-k``, for example ``pytest tests/contract -k 18-nodes``.
"""

from pathlib import Path

import pytest
from contract_replay import describe_failures, load_scenario, replay_scenario, scenario_paths


@pytest.mark.parametrize("scenario_path", scenario_paths(), ids=lambda path: path.stem)
def test_replay(fake_hub, scenario_path: Path) -> None:
    scenario = load_scenario(scenario_path)

    outcomes = replay_scenario(scenario, fake_hub.url)

    if any(outcome.differences for outcome in outcomes):
        pytest.fail(describe_failures(scenario, outcomes), pytrace=False)
