from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from labeler.config import AppConfig
from labeler.http.app import create_app
from tests.support.synthetic import seed_data_dir


@pytest.fixture
def env(tmp_path):
    seeded = seed_data_dir(tmp_path, n_traj=8, per_traj=2, length=8)
    cfg = AppConfig(data_dir=tmp_path, bootstrap=False, ui=False, labels_per_pair=2)
    with TestClient(create_app(cfg)) as client:
        yield client, seeded, cfg
