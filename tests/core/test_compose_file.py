"""docker-compose.yml: what `docker compose config` cannot tell (make docker-config checks the syntax)."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT

SERVICES = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
BUILT_HERE = {name for name, service in SERVICES.items() if "build" in service}


def test_rabbitmq_keeps_its_queues_across_a_recreated_container():
    rabbitmq = SERVICES["rabbitmq"]
    assert rabbitmq["hostname"]  # the data directory is named after the node, rabbit@<hostname>
    assert any(volume.endswith(":/var/lib/rabbitmq") for volume in rabbitmq["volumes"])


def test_the_admin_uis_are_published_on_loopback_only():
    for name in ("rabbitmq", "mailpit"):
        assert all(port.startswith("127.0.0.1:") for port in SERVICES[name]["ports"]), name


def test_every_pulled_image_is_pinned_to_a_release_not_latest_or_a_major():
    for name, service in SERVICES.items():
        if name not in BUILT_HERE:
            assert re.search(r":(v?\d+\.\d+|RELEASE\.\d{4}-\d{2}-\d{2})", service["image"]), (
                f"{name}: {service['image']}"
            )


def test_the_worker_and_scheduler_have_healthchecks():
    for name in ("worker", "scheduler"):
        healthcheck = SERVICES[name]["healthcheck"]
        assert not healthcheck.get("disable") and healthcheck["test"][-2:] == ["manage.py", "ready"], name
