import os
from pathlib import Path

import pytest

from app.cores import available_cores, cgroup_quota


def test_no_cgroup_files_means_no_quota(tmp_path: Path) -> None:
    assert cgroup_quota(tmp_path) is None
    assert available_cores(tmp_path) >= 1


@pytest.mark.parametrize(
    ("cpu_max", "quota"),
    [("max 100000\n", None), ("150000 100000\n", 1.5), ("50000 100000", 0.5), ("garbage", None)],
)
def test_cgroup_v2_quota(tmp_path: Path, cpu_max: str, quota: float | None) -> None:
    (tmp_path / "cpu.max").write_text(cpu_max)
    assert cgroup_quota(tmp_path) == quota


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(tmp_path) == 2.0
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_quota(tmp_path) is None


def test_a_quota_caps_the_cores_and_half_a_core_is_one(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("50000 100000")
    assert available_cores(tmp_path) == 1
    (tmp_path / "cpu.max").write_text("100000000 100000")  # 1000 cores: affinity wins
    assert available_cores(tmp_path) == len(os.sched_getaffinity(0))
